using Sync.Filters.Time;

namespace Sync.Filters.Discipline;

/// <summary>Tuning of the discipline loop; every default is documented here and nowhere else.</summary>
public sealed record DisciplineOptions
{
    /// <summary>When steps are allowed. Default: offsets above 20 us in the first 3 updates (<see cref="StepPolicy.StartupOnly"/>).</summary>
    public StepPolicy Steps { get; init; } = StepPolicy.StartupOnly;

    /// <summary>The largest temporary frequency used to slew an offset away (chrony's maxslewrate default).</summary>
    public double MaxSlewPpm { get; init; } = 83_333;

    /// <summary>An offset is slewed away over this many update intervals (chrony's corrtimeratio is 3).</summary>
    public double CorrectionTimeRatio { get; init; } = 2;

    /// <summary>The shortest time over which an offset is slewed away.</summary>
    public Duration MinSlewTime { get; init; } = Duration.FromSeconds(0.5);

    /// <summary>The largest frequency correction the controller will command (kernel freq plus tick).</summary>
    public double MaxFrequencyPpm { get; init; } = ClockCommand.MaxFrequencyPpm;

    /// <summary>Holdover this long without samples marks the clock unsynchronized in the kernel.</summary>
    public Duration UnsyncAfter { get; init; } = Duration.FromSeconds(3600);

    /// <summary>A frequency estimate whose standard deviation is larger than this is not trusted for the base frequency.</summary>
    public double MaxTrustedFrequencyStdDevPpm { get; init; } = 50;
}
