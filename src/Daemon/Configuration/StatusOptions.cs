namespace Sync.Daemon.Configuration;

/// <summary>The read-only control socket that `virtsyncd status` reads (section "status").</summary>
public sealed record StatusOptions
{
    public bool Enabled { get; init; } = ConfigKeys.Status.Enabled.Default;
    public string SocketPath { get; init; } = ConfigKeys.Status.SocketPath.Default;
}
