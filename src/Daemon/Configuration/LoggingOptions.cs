using Microsoft.Extensions.Logging;

namespace Sync.Daemon.Configuration;

/// <summary>Console logging (section "logging").</summary>
public sealed record LoggingOptions
{
    public LogLevel Level { get; init; } = ConfigKeys.Logging.Level.Default;
    public LogFormat Format { get; init; } = ConfigKeys.Logging.Format.Default;
}

/// <summary>
/// auto = journal when systemd connected stderr to the journal, else systemd format under systemd (journal priorities),
/// simple otherwise. journal = systemd's native journal protocol with structured fields (VIRTSYNC_*).
/// </summary>
public enum LogFormat { Auto, Systemd, Simple, Json, Journal }
