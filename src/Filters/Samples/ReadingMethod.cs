namespace Sync.Filters.Samples;

/// <summary>How a PHC reading was taken, best first.</summary>
public enum ReadingMethod
{
    /// <summary>A hardware cross-timestamp (PTP_SYS_OFFSET_PRECISE/2): device and system time of one instant.</summary>
    Precise,
    /// <summary>PTP_SYS_OFFSET_EXTENDED/2: n x [system before, PHC, system after].</summary>
    Extended,
    /// <summary>PTP_SYS_OFFSET/2: system, PHC, system, ..., system interleaved.</summary>
    Basic,
    /// <summary>clock_gettime on the dynamic clock id, bracketed by two system reads.</summary>
    ClockGettime,
}
