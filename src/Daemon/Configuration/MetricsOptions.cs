namespace Sync.Daemon.Configuration;

/// <summary>The Prometheus endpoint (section "metrics").</summary>
public sealed record MetricsOptions
{
    public bool Enabled { get; init; } = ConfigKeys.Metrics.Enabled.Default;
    public string Host { get; init; } = ConfigKeys.Metrics.Listen.Default.Host;
    public int Port { get; init; } = ConfigKeys.Metrics.Listen.Default.Port;

    public string Listen => ConfigValues.FormatListen((Host, Port));
}
