namespace Sync.Filters.Discipline;

/// <summary>
/// What the discipline says about the clock, and what it needs to know of someone else's, in its own words. The
/// values are not the kernel's: the Linux edge (Sync.Clock.Linux.TimexEncoding) maps them to and from the timex
/// STA_* bits, the simulator keeps them as they are.
/// </summary>
[Flags]
public enum ClockStatus
{
    None = 0,

    /// <summary>The clock is not synchronized (STA_UNSYNC): its time may be wrong by more than maxerror says.</summary>
    Unsynchronized = 1 << 0,

    /// <summary>A second is inserted at the end of this UTC day (STA_INS).</summary>
    InsertLeap = 1 << 1,

    /// <summary>A second is deleted at the end of this UTC day (STA_DEL).</summary>
    DeleteLeap = 1 << 2,

    /// <summary>
    /// The kernel's own discipline is on (any of STA_PLL, STA_PPSFREQ, STA_PPSTIME, STA_FLL, STA_FREQHOLD): only a
    /// program using the kernel PLL/FLL/PPS sets it, never virtsync, so it means another writer.
    /// </summary>
    KernelDiscipline = 1 << 3,
}
