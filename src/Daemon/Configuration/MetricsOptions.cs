namespace Sync.Daemon.Configuration;

/// <summary>The Prometheus endpoint (section "metrics").</summary>
public sealed record MetricsOptions
{
    public const string DefaultHost = "127.0.0.1";

    /// <summary>
    /// Outside 9100-9999, which Prometheus' exporter port list has fully allocated (node 9100, chrony_exporter
    /// 9123, ntpd-rs 9975, OpenTelemetry's default 9464): 10123 clashes with none of them.
    /// </summary>
    public const int DefaultPort = 10123;

    public bool Enabled { get; init; } = true;
    public string Host { get; init; } = DefaultHost;
    public int Port { get; init; } = DefaultPort;

    public string Listen => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
