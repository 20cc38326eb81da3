using Microsoft.Extensions.Logging;
using Sync.Clock.Abstractions;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Clock.HostClocks;

/// <summary>Builds host clock sources by kind; TAI and smeared clocks share one TAI source and leap table.</summary>
public sealed class HostClockFactory(LeapSecondTable leapTable, ILoggerFactory? loggerFactory = null)
{
    private TaiClockSource? _tai;

    public TaiClockSource Tai => _tai ??= new TaiClockSource(leapTable, loggerFactory?.CreateLogger<TaiClockSource>());

    public IHostClockSource Create(HostClockKind kind) => kind switch
    {
        HostClockKind.Utc => PosixClockSource.Realtime(),
        HostClockKind.Tai => Tai,
        HostClockKind.Monotonic => PosixClockSource.Monotonic(),
        HostClockKind.Boottime => PosixClockSource.Boottime(),
        HostClockKind.UtcSmearedNoonLinear => new SmearedUtcClockSource(SmearVariant.NoonLinear, Tai, leapTable),
        HostClockKind.UtcSmearedSls => new SmearedUtcClockSource(SmearVariant.UtcSls, Tai, leapTable),
        HostClockKind.UtcMaybeSmeared => PosixClockSource.RealtimeAsMaybeSmeared(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown host clock kind"),
    };

    /// <summary>Parse a configuration name (utc, tai, monotonic, boottime, utc-smeared-noon, utc-smeared-sls, utc-maybe-smeared).</summary>
    public static bool TryParseKind(string name, out HostClockKind kind)
    {
        switch (name.Trim().ToLowerInvariant())
        {
            case "utc": kind = HostClockKind.Utc; return true;
            case "tai": kind = HostClockKind.Tai; return true;
            case "monotonic": kind = HostClockKind.Monotonic; return true;
            case "boottime": kind = HostClockKind.Boottime; return true;
            case "utc-smeared-noon": kind = HostClockKind.UtcSmearedNoonLinear; return true;
            case "utc-smeared-sls": kind = HostClockKind.UtcSmearedSls; return true;
            case "utc-maybe-smeared": kind = HostClockKind.UtcMaybeSmeared; return true;
            default: kind = default; return false;
        }
    }
}
