using Sync.Daemon.Configuration;
namespace Sync.Daemon.ClockBound;

/// <summary>
/// The ClockBound publisher (section "clockBound"): `sync` writes its error bound into ClockBound's shared-memory
/// segment (protocol version 2) so programs using the ClockBound client libraries get (earliest, latest) without
/// chrony or clockbound-d. Only while virtsyncd steers the clock itself (not in chrony agent mode or a dry run).
/// </summary>
public sealed record ClockBoundOptions
{
    public bool Enabled { get; init; } = ConfigKeys.ClockBound.Enabled.Default;
    public string Path { get; init; } = ConfigKeys.ClockBound.Path.Default;
    public double MaxDriftPpm { get; init; } = ConfigKeys.ClockBound.MaxDriftPpm.Default;

    public uint MaxDriftPpb => (uint)Math.Round(MaxDriftPpm * 1000);
}
