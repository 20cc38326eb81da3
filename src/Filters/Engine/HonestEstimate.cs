using Sync.Filters.Discipline;
using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// The estimator's estimate as the engine acts on it and publishes it, against what the clock must follow
/// (<see cref="SmearTarget"/>), with the target's rate. The published bound is the larger of the model's (the
/// estimator's bound plus the asymmetry allowance, <see cref="AsymmetryAllowance"/>) and causality's
/// (<see cref="CausalBound"/>: the newest sample's distance from the estimate plus its allowance, grown as the model
/// grows since), plus the followed source's time-scale ambiguity. Causality holds whichever samples the estimate
/// leans on; the model covers what a window does not (a cross-timestamp's noise).
/// </summary>
internal sealed class HonestEstimate(SyncEngineOptions options, IClockEstimator estimator, DisciplineController controller, SmearTarget smearTarget)
{
    private readonly AsymmetryAllowance _asymmetry = new(options.AsymmetryMemory);
    private readonly CausalBound _causal = new();
    private Duration _ambiguity;
    private Duration _allowance;
    private SmearVariant? _smear;

    /// <summary>The target's rate (ppm of the continuous axis) as of the last estimate: non-zero only following a smear.</summary>
    public double TargetRatePpm { get; private set; }

    /// <summary>The delay asymmetry no estimator can see, as a systematic error.</summary>
    public Duration AsymmetryError => _asymmetry.Error;

    /// <summary>The causal part of the bound at the newest sample's time, null before the first estimate.</summary>
    public Duration? CausalBoundAtSample => _causal.AtSample;

    /// <summary>The chosen source's sample feeds the estimator: its allowance, ambiguity and smear now count.</summary>
    public void Follow(SourceState source, OffsetSample corrected)
    {
        _ambiguity = source.Ambiguity;
        _allowance = source.Calibration.Allowance;
        _smear = source.Smear;
        // The estimators weight a sample by 1 / Error^2 (Error = half its window): its allowance counts as much.
        _asymmetry.Add(source.Calibration.Allowance, corrected.Error);
    }

    /// <summary>The estimate at local time t (null before the estimator has one); sets <see cref="TargetRatePpm"/>.</summary>
    public ClockEstimate? At(Instant<Utc> t)
    {
        if (estimator.EstimateAt(t) is not { } estimate)
            return null;
        var model = estimate.ErrorBound + AsymmetryError;
        var causal = _causal.For(estimate.ErrorBound);
        var causalWins = causal is { } c && c > model;
        var bound = causalWins ? causal!.Value : model;
        // The estimator's bound on |true offset| takes the same allowances (each a worst case on top of the model's
        // error); where causality's bound is wider it says nothing about it, and the triangle inequality stands.
        var trueOffsetBound = !causalWins && estimate.TrueOffsetBound is { } b ? b + AsymmetryError + _ambiguity : (Duration?)null;
        var span = Duration.Max(options.ReadInterval, controller.UpdateInterval);
        var (steered, ratePpm) = smearTarget.Steer(estimate with { ErrorBound = bound + _ambiguity, TrueOffsetBound = trueOffsetBound }, _smear, span);
        TargetRatePpm = ratePpm;
        return steered;
    }

    /// <summary>The estimator took the followed source's sample: the causal bound checks the estimate against it.</summary>
    public void CheckFollowed(OffsetSample sample) => Check(sample, _allowance);

    /// <summary>The causal bound checks the estimate at the sample's own time (raw, before any smear target) against it.</summary>
    public void Check(OffsetSample sample, Duration allowance) => _causal.Observe(sample, allowance, estimator.EstimateAt(sample.LocalTime));

    /// <summary>The estimate was rebuilt without a sample to check it against (restart, disruption).</summary>
    public void ForgetCheck() => _causal.Forget();

    /// <summary>A measured sample against what the clock must follow (used where there is no estimate).</summary>
    public OffsetSample Target(OffsetSample sample) => smearTarget.Offset(sample, _smear);

    /// <summary>
    /// The estimator's offset at the sample's own local time, with that sample in it (against what the clock must follow;
    /// Error is the estimate's bound); the measured sample against the target until there is an estimate. Sets
    /// <see cref="TargetRatePpm"/> as <see cref="At"/> does.
    /// </summary>
    public OffsetSample AtSample(OffsetSample sample) =>
        At(sample.LocalTime) is { } e ? sample with { Offset = e.Offset, Error = e.ErrorBound } : Target(sample);

    /// <summary>
    /// The bound on |local - reference| now (<see cref="ClockEstimate.BoundOnTrueOffset"/>): the estimator's bound on
    /// the true offset itself with the allowances, or, where it has none (or causality's bound is the wider), what is
    /// left of the estimated offset (still being slewed away) plus the error bound grown to now. Before the first
    /// estimate: 16 s, the kernel's "unsynchronized".
    /// </summary>
    public Duration Bound(Instant<Utc> now) => At(now) is { } e ? e.BoundOnTrueOffset : Duration.FromSeconds(16);
}
