using Microsoft.Extensions.Logging;
using Sync.Clock.Abstractions;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Clock.HostClocks;

/// <summary>Builds host clock sources by scale (ClockScale, no second vocabulary); TAI and smeared clocks share one TAI source and leap table.</summary>
public sealed class HostClockFactory(LeapSecondTable leapTable, ILoggerFactory? loggerFactory = null)
{
    private TaiClockSource? _tai;

    public TaiClockSource Tai => _tai ??= new TaiClockSource(leapTable, loggerFactory?.CreateLogger<TaiClockSource>());

    /// <summary>
    /// The host clock serving <paramref name="scale"/>: utc (CLOCK_REALTIME), tai (derived, see TaiClockSource),
    /// monotonic (CLOCK_MONOTONIC), utc-smeared noon or sls (computed from TAI), utc-maybe-smeared (CLOCK_REALTIME,
    /// which steps at a leap, unless <paramref name="maybeSmearedAs"/> says it smears: serve:smearVariant).
    /// </summary>
    public IHostClockSource Create(ClockScale scale, SmearVariant maybeSmearedAs = SmearVariant.Unspecified) => scale.Scale switch
    {
        TimeScale.Utc => PosixClockSource.Realtime(),
        TimeScale.Tai => Tai,
        TimeScale.Monotonic => PosixClockSource.Monotonic(),
        TimeScale.UtcSmeared => new SmearedUtcClockSource(scale.Variant, Tai, leapTable),
        TimeScale.UtcMaybeSmeared when maybeSmearedAs is SmearVariant.Unspecified => PosixClockSource.RealtimeAsMaybeSmeared(),
        TimeScale.UtcMaybeSmeared => new SmearedUtcClockSource(maybeSmearedAs, Tai, leapTable, labelMaybeSmeared: true),
        _ => throw new ArgumentOutOfRangeException(nameof(scale), scale, "no host clock serves this scale"),
    };
}
