using Sync.Clock.Abstractions;
using Sync.Filters.Time;

namespace Sync.Clock.HostClocks;

/// <summary>A host clock read straight from clock_gettime, served under the given scale.</summary>
public sealed class PosixClockSource : IHostClockSource
{
    private readonly int _clockId;

    private PosixClockSource(ClockScale scale, int clockId, string description)
    {
        Scale = scale;
        _clockId = clockId;
        Description = description;
    }

    public ClockScale Scale { get; }
    public string Description { get; }

    /// <summary>UTC from CLOCK_REALTIME.</summary>
    public static PosixClockSource Realtime() => new(ClockScale.Utc, HostClockInterop.ClockRealtime, "UTC from CLOCK_REALTIME");

    /// <summary>CLOCK_REALTIME labelled UTC_MAYBE_SMEARED (for guests that must not assume stepping UTC).</summary>
    public static PosixClockSource RealtimeAsMaybeSmeared() =>
        new(ClockScale.UtcMaybeSmeared, HostClockInterop.ClockRealtime, "UTC_MAYBE_SMEARED from CLOCK_REALTIME");

    /// <summary>MONOTONIC from CLOCK_MONOTONIC (stops while the host suspends).</summary>
    public static PosixClockSource Monotonic() =>
        new(ClockScale.Monotonic, HostClockInterop.ClockMonotonic, "MONOTONIC from CLOCK_MONOTONIC");

    /// <summary>MONOTONIC from CLOCK_BOOTTIME (keeps counting across host suspend).</summary>
    public static PosixClockSource Boottime() =>
        new(ClockScale.Monotonic, HostClockInterop.ClockBoottime, "MONOTONIC from CLOCK_BOOTTIME");

    /// <summary>TAI straight from CLOCK_TAI (only right when the kernel's TAI offset is set).</summary>
    internal static PosixClockSource KernelTai() => new(ClockScale.Tai, HostClockInterop.ClockTai, "TAI from CLOCK_TAI");

    public long ReadNanoseconds() => HostClockInterop.ReadNanoseconds(_clockId);

    public override string ToString() => Description;
}
