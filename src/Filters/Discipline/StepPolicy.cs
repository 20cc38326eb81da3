using Sync.Filters.Time;

namespace Sync.Filters.Discipline;

/// <summary>
/// When the clock may be stepped instead of slewed, like chrony's makestep: an offset larger than Threshold
/// is stepped during the first UpdateLimit updates (a negative limit: at any update; zero: never).
/// </summary>
public sealed record StepPolicy(Duration Threshold, int UpdateLimit)
{
    /// <summary>Also allow a step above Threshold in the first UpdateLimit updates after the estimator detected a
    /// discontinuity or at a jump (a pause, live migration or snapshot restore moves the guest clock). Default true; Never
    /// (and the daemon's discipline:makestepLimit 0) turns it off: the offset is then slewed at the maximum slew rate.</summary>
    public bool AfterDiscontinuity { get; init; } = true;

    /// <summary>After a discontinuity only offsets above this are stepped: a smaller one (a rate change's run-up, a
    /// small guest step) is slewed away within a few update intervals. Default 1 ms.</summary>
    public Duration RecoveryThreshold { get; init; } = Duration.FromMilliseconds(1);

    public static StepPolicy Never => new(Duration.FromSeconds(1), 0) { AfterDiscontinuity = false };
    public static StepPolicy ChronyDefault => new(Duration.FromSeconds(1), 3);

    /// <summary>virtsync's default: like phc2sys's first_step_threshold, step offsets above 20 us, but only in the first 3 updates.</summary>
    public static StepPolicy StartupOnly => new(Duration.FromMicroseconds(20), 3);

    public bool AllowsStep(Duration offset, long updateNumber) =>
        offset.Abs() > Threshold && (UpdateLimit < 0 || updateNumber <= UpdateLimit);
}
