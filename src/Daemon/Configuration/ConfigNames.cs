using Sync.Clock.VhostUser;
using Sync.Filters.Engine;
using Microsoft.Extensions.Logging;
using Sync.Filters.Time;

namespace Sync.Daemon.Configuration;

/// <summary>The spelling of every enum value in configuration files, in one place (no reflection).</summary>
public static class ConfigNames
{
    public static readonly IReadOnlyList<(string Name, SampleFilterKind Value)> Filters =
        [("delay-band", SampleFilterKind.DelayBand), ("fastest", SampleFilterKind.Fastest), ("delay-corrected", SampleFilterKind.DelayCorrected)];

    public static readonly IReadOnlyList<(string Name, EstimatorKind Value)> Estimators =
        [("regression", EstimatorKind.Regression), ("kalman", EstimatorKind.Kalman)];

    public static readonly IReadOnlyList<(string Name, LeapPolicy Value)> LeapPolicies =
        [("kernel", LeapPolicy.Kernel), ("slew", LeapPolicy.Slew), ("follow-smear", LeapPolicy.FollowSmear)];

    /// <summary>The scales `serve` reads from the host's clocks (utc-smeared-unspecified is not one it can compute).</summary>
    public static readonly IReadOnlyList<ClockScale> HostServedScales =
        [ClockScale.Utc, ClockScale.Tai, ClockScale.Monotonic, ClockScale.UtcSmearedNoonLinear, ClockScale.UtcSmearedSls, ClockScale.UtcMaybeSmeared];

    /// <summary>serve:clocks: each host scale by its own name, then "simulated" and "simulated-" + each simulated scale
    /// (its name without "utc-" for the smeared ones: simulated-smeared-noon). Built from <see cref="ClockScale.Names"/>.</summary>
    public static readonly IReadOnlyList<(string Name, ServedClock Value)> ServedClocks =
    [
        .. HostServedScales.Select(s => (s.ToString(), ServedClock.Host(s))),
        ("simulated", ServedClock.SimulatedConfigured),
        .. SimulatedScalesList().Select(s => ("simulated-" + (s.Name.StartsWith("utc-smeared-", StringComparison.Ordinal) ? s.Name[4..] : s.Name), ServedClock.SimulatedIn(s.Value))),
    ];

    public static readonly IReadOnlyList<(string Name, VhostUserSocketRole Value)> SocketRoles =
        [("listen", VhostUserSocketRole.Listen), ("connect", VhostUserSocketRole.Connect)];

    public static readonly IReadOnlyList<(string Name, SmearVariant Value)> SmearVariants =
        [("none", SmearVariant.Unspecified), ("noon", SmearVariant.NoonLinear), ("sls", SmearVariant.UtcSls)];

    public static readonly IReadOnlyList<(string Name, LogLevel Value)> LogLevels =
    [
        ("trace", LogLevel.Trace), ("debug", LogLevel.Debug), ("information", LogLevel.Information),
        ("warning", LogLevel.Warning), ("error", LogLevel.Error), ("critical", LogLevel.Critical), ("none", LogLevel.None),
    ];

    public static readonly IReadOnlyList<(string Name, LogFormat Value)> LogFormats =
        [("auto", LogFormat.Auto), ("systemd", LogFormat.Systemd), ("simple", LogFormat.Simple), ("json", LogFormat.Json), ("journal", LogFormat.Journal)];

    /// <summary>
    /// The scales a simulated served clock (serve:simulated:scale) can serve: the ones whose conversion from TAI is
    /// defined. monotonic and utc-maybe-smeared are not scales of a simulated clock.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, ClockScale Value)> SimulatedScales = SimulatedScalesList();

    private static IReadOnlyList<(string Name, ClockScale Value)> SimulatedScalesList() =>
        [.. new[] { ClockScale.Utc, ClockScale.Tai, ClockScale.UtcSmearedNoonLinear, ClockScale.UtcSmearedSls }.Select(s => (s.ToString(), s))];

    public static string Name<T>(IReadOnlyList<(string Name, T Value)> table, T value) where T : struct
    {
        foreach (var (name, v) in table)
            if (EqualityComparer<T>.Default.Equals(v, value)) return name;
        return value.ToString()!;
    }

    /// <summary>The value named <paramref name="raw"/> (any case) in the table.</summary>
    public static bool TryParse<T>(IReadOnlyList<(string Name, T Value)> table, string raw, out T value) where T : struct
    {
        foreach (var (name, v) in table)
        {
            if (name.Equals(raw, StringComparison.OrdinalIgnoreCase)) { value = v; return true; }
        }
        value = default;
        return false;
    }

    public static IEnumerable<string> Names<T>(IReadOnlyList<(string Name, T Value)> table) => table.Select(t => t.Name);

    public static string ServedClockName(ServedClock clock) => Name(ServedClocks, clock);
}
