namespace Sync.Daemon.Configuration;

/// <summary>
/// Refclock agent mode (section "chrony"): when enabled, `sync` sends its filtered samples to chronyd's SOCK
/// refclock and does not steer the clock itself.
/// </summary>
public sealed record ChronyOptions
{
    public bool Enabled { get; init; } = ConfigKeys.Chrony.Enabled.Default;
    public string SocketPath { get; init; } = ConfigKeys.Chrony.SocketPath.Default;
}
