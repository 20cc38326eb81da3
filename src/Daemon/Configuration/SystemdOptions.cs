namespace Sync.Daemon.Configuration;

/// <summary>systemd integration (section "systemd").</summary>
public sealed record SystemdOptions
{
    /// <summary>READY=1 is sent at the first good sample, or after this long without one (so boot goes on).</summary>
    public double ReadyTimeoutSeconds { get; init; } = ConfigKeys.Systemd.ReadyTimeoutSeconds.Default;

    /// <summary>Shortest gap between two STATUS= updates.</summary>
    public double StatusIntervalSeconds { get; init; } = ConfigKeys.Systemd.StatusIntervalSeconds.Default;
}
