using Microsoft.Extensions.Logging;

namespace Sync.Daemon.Configuration;

/// <summary>Console logging (section "logging").</summary>
public sealed record LoggingOptions
{
    public LogLevel Level { get; init; } = LogLevel.Information;
    public LogFormat Format { get; init; } = LogFormat.Auto;
}

/// <summary>auto = systemd format under systemd (journal priorities), simple otherwise.</summary>
public enum LogFormat { Auto, Systemd, Simple, Json }
