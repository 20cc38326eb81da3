using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// A jump of the clock seen in one sample (<see cref="SyncEngineOptions.JumpThreshold"/>): the sample is off the
/// estimator's prediction by more than noise, the bound and the reference's possible rate change can explain.
/// </summary>
internal sealed class JumpDetector(SyncEngineOptions options, IClockEstimator estimator)
{
    /// <summary>
    /// After a backward step the local clock shows times it showed before: until it passes the step's instant again a
    /// sample's local time does not say on which side of the step it was taken, so no jump is judged until then.
    /// </summary>
    public Instant<Utc>? StepOverlapEnd { get; set; }

    /// <summary>How far the sample is off the prediction, when that is more than everything that could explain it; else null.</summary>
    public Duration? JumpIn(OffsetSample sample, Instant<Utc>? lastFilteredAt)
    {
        if (options.JumpThreshold <= Duration.Zero || (StepOverlapEnd is { } end && sample.LocalTime <= end)
            || estimator.EstimateAt(sample.LocalTime) is not { } predicted)
            return null;
        var deviation = sample.Offset - predicted.Offset;
        var sinceLast = lastFilteredAt is { } last && sample.LocalTime > last ? sample.LocalTime - last : Duration.Zero;
        var rateRunUp = Duration.FromNanoseconds((long)Math.Ceiling(sinceLast.Nanoseconds * options.JumpRateAllowancePpm * 1e-6));
        var explained = sample.Delay + sample.Error + predicted.ErrorBound + options.JumpThreshold + rateRunUp;
        return deviation.Abs() > explained ? deviation : null;
    }
}
