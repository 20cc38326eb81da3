using Sync.Filters.Time;

namespace Sync.Filters.Discipline;

/// <summary>The kernel's time state (clock_adjtime return value).</summary>
public enum KernelTimeState { Ok = 0, InsertingLeap = 1, DeletingLeap = 2, LeapInProgress = 3, LeapWait = 4, Error = 5 }

/// <summary>
/// What clock_adjtime(modes = 0) reports, in our units. FrequencyPpm is the total frequency correction in
/// effect (freq plus tick deviation), positive = the clock runs faster.
/// </summary>
public sealed record KernelClockState(
    double FrequencyPpm,
    Duration MaxError,
    Duration EstimatedError,
    ClockStatus Status,
    int TaiOffsetSeconds,
    KernelTimeState State)
{
    /// <summary>The kernel PLL's remaining offset (timex.offset): zero unless someone used ADJ_OFFSET (ntpd,
    /// systemd-timesyncd); we never do.</summary>
    public Duration PllOffset { get; init; }

    /// <summary>STA_NANO: the unit of the kernel's offset and time fields. Only a write with ADJ_NANO (sets it) or
    /// ADJ_MICRO (clears it) changes it, never the kernel itself; virtsync sends ADJ_NANO with every write, so once it
    /// has written, a cleared STA_NANO means another program wrote (chronyd's first write does this, seconds before its
    /// first frequency write).</summary>
    public bool NanosecondUnits { get; init; }
}
