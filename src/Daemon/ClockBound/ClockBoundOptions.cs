namespace Sync.Daemon.ClockBound;

/// <summary>
/// The ClockBound publisher (section "clockBound"): `sync` writes its error bound into ClockBound's shared-memory
/// segment (protocol version 2) so programs using the ClockBound client libraries get (earliest, latest) without
/// chrony or clockbound-d. Only while virtsyncd steers the clock itself (not in chrony agent mode or a dry run).
/// </summary>
public sealed record ClockBoundOptions
{
    /// <summary>
    /// 50 ppm: the drift ClockBound advises for honest bounds, and the largest rate jump a VM counter makes at live
    /// migration or restore. Readers widen the bound by this x the time since as-of; virtsync publishes at every
    /// read (0.25 s by default), so it adds at most 12.5 us. Lower it only where no rate jump can happen unseen.
    /// </summary>
    public const double DefaultMaxDriftPpm = 50;
    public const double MinMaxDriftPpm = 0;
    public const double MaxMaxDriftPpm = 1000;

    public bool Enabled { get; init; } = true;
    public string Path { get; init; } = ClockBoundSegment.DefaultPath;
    public double MaxDriftPpm { get; init; } = DefaultMaxDriftPpm;

    public uint MaxDriftPpb => (uint)Math.Round(MaxDriftPpm * 1000);
}
