using Sync.Filters.Time;

namespace Sync.Filters.Discipline;

/// <summary>Tuning of the discipline controller (<see cref="DisciplineController"/>); every default is documented here and
/// nowhere else. Not the configuration's "discipline" section (Daemon's DisciplineOptions), which maps onto a few of these.</summary>
public sealed record DisciplineControllerOptions
{
    /// <summary>When steps are allowed. Default: offsets above 20 us in the first 3 updates (<see cref="StepPolicy.StartupOnly"/>).</summary>
    public StepPolicy Steps { get; init; } = StepPolicy.StartupOnly;

    /// <summary>The largest temporary frequency used to slew an offset away (chrony's maxslewrate default).</summary>
    public double MaxSlewPpm { get; init; } = 83_333;

    /// <summary>
    /// An offset is slewed away over this many update intervals. Default 1: the estimated offset is gone by the next
    /// read. The estimate is already filtered (the Kalman filter's own averaging), and the clock's error at a read
    /// is set by the corrections made up to the read before, so the least error there comes from removing all of the
    /// estimate at once (certainty equivalence); what a slower slew leaves for later is known error. Measured over
    /// the random worlds (seed 1, 100 worlds): 2 (chrony's corrtimeratio is 3) doubled the error where the oscillator
    /// moves by more than the reading error between reads or follows a thermal ramp (std 0.49x -> 0.25x the PI's in
    /// 14 worlds), and slowed every recovery by several reads.
    /// </summary>
    public double CorrectionTimeRatio { get; init; } = 1;

    /// <summary>The shortest time over which an offset is slewed away. Default 0 (one update interval, however short;
    /// <see cref="MaxSlewPpm"/> still limits the rate): 0.5 s held fast readers (0.1-0.25 s) 2-5 reads behind.</summary>
    public Duration MinSlewTime { get; init; } = Duration.Zero;

    /// <summary>The largest frequency correction the controller will command (kernel freq plus tick).</summary>
    public double MaxFrequencyPpm { get; init; } = ClockCommand.MaxFrequencyPpm;

    /// <summary>Holdover this long without samples marks the clock unsynchronized in the kernel.</summary>
    public Duration UnsyncAfter { get; init; } = Duration.FromSeconds(3600);

    /// <summary>A frequency estimate whose standard deviation is larger than this is not trusted for the base frequency.</summary>
    public double MaxTrustedFrequencyStdDevPpm { get; init; } = 50;
}
