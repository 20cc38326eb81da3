namespace Sync.Filters.Samples;

/// <summary>How the samples of one multi-sample PHC reading become one.</summary>
public enum ReductionRule
{
    /// <summary>
    /// chrony: keep the samples whose delay lies between the running 1st and 2nd deciles of delay (over recent
    /// readings), average them (PHC and system midpoint); if none is in the band, take the fastest.
    /// </summary>
    DelayBand,

    /// <summary>phc2sys: the sample with the smallest sys_after - sys_before, at its midpoint.</summary>
    Fastest,
}
