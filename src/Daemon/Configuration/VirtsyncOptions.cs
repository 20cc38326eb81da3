using Sync.Daemon.ClockBound;

namespace Sync.Daemon.Configuration;

/// <summary>The whole validated configuration: file, then VIRTSYNC__ environment, then command line.</summary>
public sealed record VirtsyncOptions
{
    public const string DefaultConfigPath = "/etc/virtsync/virtsync.json";

    public SourcesOptions Sources { get; init; } = new();
    public DisciplineOptions Discipline { get; init; } = new();
    public ServeOptions Serve { get; init; } = new();
    public MetricsOptions Metrics { get; init; } = new();
    public StatusOptions Status { get; init; } = new();
    public SystemdOptions Systemd { get; init; } = new();
    public LoggingOptions Logging { get; init; } = new();
    public ChronyOptions Chrony { get; init; } = new();
    public ClockBoundOptions ClockBound { get; init; } = new();

    /// <summary>Set by --dry-run: read and compute everything, change nothing (no clock writes, nothing sent to chrony).</summary>
    public bool DryRun { get; init; }

    /// <summary>Whether `sync` may steer CLOCK_REALTIME itself: not in a dry run and not while feeding chrony.</summary>
    public bool MaySteerClock => Discipline.WriteEnabled && !DryRun && !Chrony.Enabled;
}
