namespace Sync.Filters.Samples;

/// <summary>
/// One raw sample of a PHC against the system clock: the system clock read just before, the PHC, and the
/// system clock just after, in nanoseconds as the kernel returned them (system: CLOCK_REALTIME, PHC: its own
/// scale). For a cross-timestamp SysBeforeNs == SysAfterNs.
/// </summary>
public readonly record struct SampleTriple(long SysBeforeNs, long PhcNs, long SysAfterNs)
{
    public long DelayNs => SysAfterNs - SysBeforeNs;
}
