namespace Sync.Daemon.Configuration;

/// <summary>The read-only control socket that `virtsyncd status` reads (section "status").</summary>
public sealed record StatusOptions
{
    public const string DefaultSocketPath = "/run/virtsync/status.sock";

    public bool Enabled { get; init; } = true;
    public string SocketPath { get; init; } = DefaultSocketPath;
}
