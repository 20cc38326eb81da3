using Microsoft.Extensions.Logging;

namespace Sync.Daemon.Configuration;

/// <summary>Console logging (section "logging").</summary>
public sealed record LoggingOptions
{
    public LogLevel Level { get; init; } = ConfigKeys.Logging.Level.Default;
    public LogFormat Format { get; init; } = ConfigKeys.Logging.Format.Default;
}

/// <summary>auto = systemd format under systemd (journal priorities), simple otherwise.</summary>
public enum LogFormat { Auto, Systemd, Simple, Json }
