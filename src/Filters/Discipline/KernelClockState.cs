using Sync.Filters.Time;

namespace Sync.Filters.Discipline;

/// <summary>
/// What clock_adjtime(modes = 0) reports, in our units. FrequencyPpm is the total frequency correction in
/// effect (freq plus tick deviation), positive = the clock runs faster. (The kernel's TIME_* state, the call's return
/// value, is the Linux edge's business: Sync.Clock.Linux.KernelTimeState; the core reads the leap flags in Status.)
/// </summary>
public sealed record KernelClockState(
    double FrequencyPpm,
    Duration MaxError,
    Duration EstimatedError,
    ClockStatus Status,
    int TaiOffsetSeconds)
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
