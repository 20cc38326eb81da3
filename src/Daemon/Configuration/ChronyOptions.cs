namespace Sync.Daemon.Configuration;

/// <summary>
/// Refclock agent mode (section "chrony"): when enabled, `sync` sends its filtered samples to chronyd's SOCK
/// refclock and does not steer the clock itself.
/// </summary>
public sealed record ChronyOptions
{
    public const string DefaultSocketPath = "/run/chrony/virtsync.sock";

    public bool Enabled { get; init; }
    public string SocketPath { get; init; } = DefaultSocketPath;
}
