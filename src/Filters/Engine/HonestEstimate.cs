using Sync.Filters.Discipline;
using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// The estimator's estimate as the engine acts on it and publishes it: its bound widened by the systematic parts no
/// estimator can see (the asymmetry allowance, <see cref="AsymmetryAllowance"/>, and the followed source's scale
/// ambiguity), and taken against what the clock must follow (<see cref="SmearTarget"/>), with the target's rate.
/// </summary>
internal sealed class HonestEstimate(SyncEngineOptions options, IClockEstimator estimator, DisciplineController controller, SmearTarget smearTarget)
{
    private readonly AsymmetryAllowance _asymmetry = new(options.AsymmetryMemory);
    private Duration _ambiguity;
    private SmearVariant? _smear;

    /// <summary>The target's rate (ppm of the continuous axis) as of the last estimate: non-zero only following a smear.</summary>
    public double TargetRatePpm { get; private set; }

    /// <summary>The delay asymmetry no estimator can see, as a systematic error.</summary>
    public Duration AsymmetryError => _asymmetry.Error;

    /// <summary>The chosen source's sample feeds the estimator: its allowance, ambiguity and smear now count.</summary>
    public void Follow(SourceState source, OffsetSample corrected)
    {
        _ambiguity = source.Ambiguity;
        _smear = source.Smear;
        // The estimators weight a sample by 1 / Error^2 (Error = half its window): its allowance counts as much.
        _asymmetry.Add(source.Calibration.Allowance, corrected.Error);
    }

    /// <summary>The estimate at local time t (null before the estimator has one); sets <see cref="TargetRatePpm"/>.</summary>
    public ClockEstimate? At(Instant<Utc> t)
    {
        if (estimator.EstimateAt(t) is not { } estimate)
            return null;
        var span = Duration.Max(options.ReadInterval, controller.UpdateInterval);
        var (steered, ratePpm) = smearTarget.Steer(estimate with { ErrorBound = estimate.ErrorBound + AsymmetryError + _ambiguity }, _smear, span);
        TargetRatePpm = ratePpm;
        return steered;
    }

    /// <summary>A measured sample against what the clock must follow (used where there is no estimate).</summary>
    public OffsetSample Target(OffsetSample sample) => smearTarget.Offset(sample, _smear);

    /// <summary>
    /// The bound on |local - reference| now: what is left of the estimated offset (still being slewed away) plus
    /// the error bound grown to now. Before the first estimate: 16 s, the kernel's "unsynchronized".
    /// </summary>
    public Duration Bound(Instant<Utc> now) => At(now) is { } e ? e.Offset.Abs() + e.ErrorBound : Duration.FromSeconds(16);
}
