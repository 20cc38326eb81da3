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

    public static readonly IReadOnlyList<(string Name, ServedClock Value)> ServedClocks =
    [
        ("utc", ServedClock.Utc), ("tai", ServedClock.Tai), ("monotonic", ServedClock.Monotonic),
        ("utc-smeared-noon", ServedClock.UtcSmearedNoon), ("utc-smeared-sls", ServedClock.UtcSmearedSls),
        ("utc-maybe-smeared", ServedClock.UtcMaybeSmeared), ("simulated", ServedClock.Simulated),
        ("simulated-utc", ServedClock.SimulatedUtc), ("simulated-tai", ServedClock.SimulatedTai),
        ("simulated-smeared-noon", ServedClock.SimulatedSmearedNoon), ("simulated-smeared-sls", ServedClock.SimulatedSmearedSls),
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
    public static readonly IReadOnlyList<(string Name, ClockScale Value)> SimulatedScales =
    [
        ("utc", ClockScale.Utc), ("tai", ClockScale.Tai),
        ("utc-smeared-noon", ClockScale.UtcSmearedNoonLinear), ("utc-smeared-sls", ClockScale.UtcSmearedSls),
    ];

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
