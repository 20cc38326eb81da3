using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>What <see cref="OutlierGate.Judge"/> made of one sample.</summary>
internal enum GateDecision
{
    /// <summary>Inside the gate: an ordinary measurement.</summary>
    Use,
    /// <summary>Inside the gate, but the innovations grew along a significant line: fold it into the state.</summary>
    FoldDrift,
    /// <summary>Outside the gate and held, maybe an outlier.</summary>
    Hold,
    /// <summary>A step shown by two held samples (or a jump restart's first): follow it at this sample.</summary>
    FollowStep,
    /// <summary>A rate change shown by two held samples (or a jump restart's first): follow it at this sample.</summary>
    FollowRateChange,
    /// <summary>A run of held samples is a discontinuity: restart from them.</summary>
    Restart,
}

/// <summary>The gate's verdict with what the decision needs (the change, its line, the sample it starts from).</summary>
internal readonly record struct GateVerdict(GateDecision Decision, Discontinuity? Change = null, double SlopeNsPerS = 0,
    double DeviationNs = 0, DriftLine Line = default, OffsetSample? From = null);

/// <summary>
/// The outlier and change gate of <see cref="KalmanEstimator"/>: a sample no plausible wander level explains
/// (beyond ThresholdSigmas of the widest level still holding <see cref="PlausibleWeight"/>) is held; two held in a
/// row that agree on a step or a line are a change followed at the second (<see cref="ChangeDetector.ChangeInRun"/>),
/// a longer run a discontinuity. A drift that stays inside the gate (a rate change seen through wide noise) is caught
/// by a CUSUM on the innovations (<see cref="DriftCusum"/>) and its line handed back before the noise adaptation can
/// learn it as noise. The gate keeps the held samples; the estimator acts on the verdict.
/// </summary>
internal sealed class OutlierGate
{
    /// <summary>Wander levels with at least this predicted weight count as plausible for the outlier gate.</summary>
    private const double PlausibleWeight = 0.01;

    /// <summary>An alarm not confirmed by a significant line within this many samples was noise: start over.</summary>
    private const int MaxDriftRun = 32;

    private readonly KalmanOptions _options;
    private readonly WanderModelBank _bank;
    private readonly ChangeDetector _detector;
    private readonly DriftCusum? _drift;
    private readonly List<OffsetSample> _held = [];

    public OutlierGate(KalmanOptions options, WanderModelBank bank)
    {
        _options = options;
        _bank = bank;
        _detector = new ChangeDetector(_options.Detector);
        if (_options.DriftThresholdSigmas > 0) _drift = new DriftCusum(_options.DriftSlackSigmas, _options.DriftThresholdSigmas);
    }

    /// <summary>The samples held as possible outliers, oldest first.</summary>
    public IReadOnlyList<OffsetSample> Held => _held;

    /// <summary>No evidence of a drift is building.</summary>
    public bool DriftQuiet => _drift is null || _drift.Quiet;

    /// <summary>The state restarted from a sample at this time (see <see cref="ChangeDetector.Anchor"/>).</summary>
    public void Anchor(Instant<Utc> at) => _detector.Anchor(at);

    /// <summary>Forget the held samples and the evidence gathered (a change was followed, or a restart).</summary>
    public void Clear()
    {
        _held.Clear();
        _detector.Reset();
        _drift?.Reset();
    }

    /// <summary>The held samples were explained by a used sample: drop them.</summary>
    public void ClearHeld() => _held.Clear();

    /// <summary>
    /// Judges a sample against the prior (rNs2: its measurement variance as learnt). anchor: the sample a jump restart
    /// started from when this is the first after it, anchorWindowNs2 the part of the prior's offset variance that is
    /// the anchor's stated window beyond its learnt scatter, sinceAnchorS the time from the state to this sample.
    /// </summary>
    public GateVerdict Judge(OffsetSample sample, ClockGaussian prior, double rNs2, OffsetSample? anchor, double anchorWindowNs2, double sinceAnchorS)
    {
        double innovationNs = sample.Offset.Nanoseconds - prior.OffsetNs;
        double innovationVarianceNs2 = prior.P00 + rNs2;
        // An outlier is a sample no plausible wander level explains: the gate is as wide as the widest level
        // still holding PlausibleWeight (with one level: the plain innovation sd).
        double sigmas = _options.Detector.ThresholdSigmas;
        double gateSdNs = Math.Max(Math.Sqrt(innovationVarianceNs2),
            _bank.PlausibleGateHalfWidthNs(prior.OffsetNs, rNs2, PlausibleWeight, sigmas) / sigmas);
        bool inGate = Math.Abs(innovationNs) <= sigmas * gateSdNs;
        if (_drift is { } drift && drift.Observe(sample.LocalTime, innovationNs, Math.Sqrt(innovationVarianceNs2)) && inGate
            && DriftLine.Fit(drift.AlarmRun, sample.LocalTime) is { } line)
        {
            // Innovations that keep growing on one side while each stays inside the gate: the reference's rate
            // changed. Learning them as noise would widen the gate faster than they grow (the rate change would
            // never be followed).
            drift.Reset();
            return new GateVerdict(GateDecision.FoldDrift, Line: line);
        }
        // An alarm whose run shows no significant line yet is kept (the next samples may show it) up to a point.
        if (_drift is { Alarm: true } d && d.AlarmRun.Count >= MaxDriftRun) d.Reset();
        // The first sample after a jump restart: the jump's sample measured the step, and one a migration's new rate
        // ran away from since. Off the carried prediction by more than the gate and more than both samples' errors can
        // be (each lies within its Error of the truth) plus the prediction's own spread, it is no outlier: the rate
        // changed with the jump, and the line from the anchor through this sample is the new rate (a read sooner
        // than two deviating samples). The anchor's window is in its Error: of its variance only the learnt scatter
        // counts as the prediction's spread (counted twice, 5 sd of a 120 us window hid a 12 ppm rate change at 17 s
        // reads until the third sample: random world 1-230).
        if (anchor is { } a && _options.FollowChangeAtSecondSample)
        {
            double hardNs = a.Error.Nanoseconds + sample.Error.Nanoseconds + sigmas * Math.Sqrt(Math.Max(0, prior.P00 - anchorWindowNs2));
            if (!inGate && Math.Abs(innovationNs) > hardNs && sinceAnchorS > 0)
                return new GateVerdict(GateDecision.FollowRateChange,
                    new Discontinuity(sample.LocalTime, DiscontinuityKind.FrequencyJump, Duration.Zero, innovationNs / sinceAnchorS / 1e3, 1),
                    innovationNs / sinceAnchorS, innovationNs, From: a);
        }
        switch (_detector.Observe(sample.LocalTime, innovationNs, gateSdNs))
        {
            case ChangeVerdict.Outlier:
                _held.Add(sample);
                if (_options.FollowChangeAtSecondSample && _detector.ChangeInRun() is { } change)
                    return change.Change.Kind == DiscontinuityKind.Step
                        ? new GateVerdict(GateDecision.FollowStep, change.Change)
                        : new GateVerdict(GateDecision.FollowRateChange, change.Change, change.SlopeNsPerS, change.DeviationNs);
                return new GateVerdict(GateDecision.Hold);
            case ChangeVerdict.Discontinuity:
                _held.Add(sample);
                return new GateVerdict(GateDecision.Restart, _detector.Last!);
        }
        return new GateVerdict(GateDecision.Use);
    }
}
