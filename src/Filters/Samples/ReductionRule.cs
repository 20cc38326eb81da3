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

    /// <summary>
    /// <see cref="DelayBand"/>, with each reading's offset moved to the lowest band delay seen (the quiet path's) along the path's delay
    /// asymmetry. Where a read's extra delay falls mostly on one side of the device's clock read (a queue before
    /// or after it: a vhost-user back end on a busy host, TCG), the midpoint offset grows with the delay
    /// (offset = a + K x delay, |K| &lt;= 1/2). K is learnt from the samples of each reading (taken within
    /// microseconds, so the clock's offset is the same for all of them: their spread in offset against delay is the
    /// path's), pooled over recent readings. When load raises every delay for a while, the band's samples are gone
    /// and the plain rule's offsets follow the load by K x the extra delay; this one does not.
    /// </summary>
    DelayCorrected,
}
