namespace Sync.Filters.Engine;

/// <summary>What the local clock does at a leap second.</summary>
public enum LeapPolicy
{
    /// <summary>
    /// The kernel inserts or deletes the second (STA_INS/STA_DEL), like chrony's leapsecmode system. A smeared
    /// reference (noon or sls) is turned back into UTC exactly first (TimeScaleConverter), so the local clock keeps
    /// UTC with a kernel leap: this is "unsmear", which therefore has no name of its own.
    /// </summary>
    Kernel,
    /// <summary>No kernel flag: the 1 s offset that appears is slewed away (chrony's leapsecmode slew), never stepped,
    /// whatever makestep allows after a jump (<see cref="LeapAnnouncement.IsSlewedLeap"/>).</summary>
    Slew,
    /// <summary>A smeared reference is followed as it is: the local clock smears too; no kernel flag.</summary>
    FollowSmear,
}
