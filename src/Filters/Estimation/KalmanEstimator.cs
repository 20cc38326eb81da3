using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>
/// ntpd-rs-like 2-state Kalman filter: state (offset ns, frequency ns/s), random-walk frequency (wander) plus a
/// little phase diffusion as process noise, measurement variance from the sample's Error (and Delay) times a
/// noise scale the filter learns (<see cref="MeasurementNoiseLearner"/>). The wander is learnt too: a bank of models
/// with different wander levels runs side by side, mixed by likelihood (<see cref="WanderModelBank"/>, IMM-style; a
/// single fixed level with <see cref="WanderOptions.Fixed"/>). Innovations beyond ThresholdSigmas are held as
/// outliers (<see cref="OutlierGate"/>); two that agree on a step or a line are followed, a longer run is a
/// discontinuity (and by default re-initialises the filter from the run). A drift that stays inside the gate (a rate
/// change seen through wide noise) is caught by a CUSUM on the innovations (<see cref="DriftCusum"/>) and folded into
/// the state, before the noise adaptation can learn it as noise.
/// History is de-steered like <see cref="RegressionEstimator"/>: an adjustment moves the state into the clock's
/// new frame instead of corrupting it.
///
/// Error bound at local time t (documented formula):
///   P_j(t)     = F P_j F' + Q_j(dt) per wander level j, dt = time since the last update (holdover growth:
///                wander_j dt^3/3, phase dt), weights w_j from the bank
///   ErrorBound = half-width b of the mixture sum_j w_j N(x_j(t), P_j,00(t)) around its mean that leaves
///                erfc(BoundSigmas / sqrt 2) outside (= BoundSigmas x sd for one level) + SystematicError
///                widened to BoundSigmas sd(state alone) + E(dt) where that is wider: E(dt) = sqrt(S^2 + U^2),
///                S = int_0^dt g(s) ds, g(s) the largest change of the frequency seen over s in the last hour or more,
///                kept across restarts (FrequencyDrift), and U = HoldoverDriftPpbPerS (dt - h)^2 / 2 beyond
///                h = HoldoverAfterIntervals x the median recent sample spacing (holdover; <see cref="HoldoverAllowance"/>)
///   TrueOffsetBound = the same with the mixture's half-width taken around the point where the clock's own offset is
///                zero instead of around its mean (<see cref="ClockEstimate.TrueOffsetBound"/>: a bound on |true offset|,
///                at most |Offset| + ErrorBound)
/// </summary>
public sealed class KalmanEstimator : IClockEstimator
{
    private readonly KalmanOptions _options;
    private readonly SteeringLedger _ledger = new();
    private readonly WanderModelBank _bank;
    private readonly OutlierGate _gate;
    private readonly MeasurementNoiseLearner _noise;
    private readonly FrequencyDrift _frequencyDrift = new(FrequencyDriftSpacingS);
    private readonly HoldoverAllowance _holdover;
    private readonly double _boundMissProbability;
    /// <summary>Seconds between the frequency estimates kept for <see cref="FrequencyDrift"/> (each read when slower).</summary>
    private const double FrequencyDriftSpacingS = 4;

    private bool _initialized;
    private long _stateTimeNs;
    private long _lastSampleNs = long.MinValue;

    public KalmanEstimator(KalmanOptions? options = null)
    {
        _options = options ?? new KalmanOptions();
        _options.Validate();
        _bank = new WanderModelBank(_options.Wander, _options.PhaseDiffusionS2PerS);
        _gate = new OutlierGate(_options, _bank);
        _noise = new MeasurementNoiseLearner(_options);
        _holdover = new HoldoverAllowance(_options, _frequencyDrift);
        _boundMissProbability = MathNet.Numerics.SpecialFunctions.Erfc(_options.BoundSigmas / Math.Sqrt(2));
    }

    public KalmanOptions Options => _options;

    /// <summary>Samples used since the last reset.</summary>
    public int SampleCount { get; private set; }

    /// <summary>Samples rejected as outliers in total.</summary>
    public long OutlierCount { get; private set; }

    /// <summary>Learned ratio of the actual measurement variance to the one modelled from Error (1 = as modelled).</summary>
    public double MeasurementNoiseScale => _noise.Scale;

    /// <summary>The frequency wander learnt from the samples (s^2/s^3; see <see cref="WanderModelBank"/>).</summary>
    public double LearntWanderS2PerS3 => _bank.LearntWanderS2PerS3;

    /// <summary>The bank of wander models (weights per level), for diagnostics.</summary>
    public WanderModelBank WanderBank => _bank;

    /// <summary>Rate changes found by the drift CUSUM and folded into the state (no reset).</summary>
    public long DriftCorrections { get; private set; }

    /// <summary>The most recent detected step or frequency jump (null until one happens).</summary>
    public Discontinuity? LastDiscontinuity { get; private set; }

    public void AddSample(OffsetSample sample) => Add(sample);

    /// <summary>Offers one sample; says whether it was used, held as an outlier, or completed a discontinuity.</summary>
    public SampleOutcome Add(OffsetSample sample)
    {
        if (sample.Error.Nanoseconds < 0 || sample.Delay.Nanoseconds < 0) return SampleOutcome.Invalid;
        long newestNs = _gate.Held.Count > 0 ? _gate.Held[^1].LocalTime.Nanoseconds : _lastSampleNs;
        if (sample.LocalTime.Nanoseconds <= newestNs) return SampleOutcome.OutOfOrder;

        if (!_initialized)
        {
            Initialize(sample);
            return SampleOutcome.Accepted;
        }
        FoldAdjustments(sample.LocalTime);
        double dtS = SecondsSinceState(sample.LocalTime.Nanoseconds);
        var prior = _bank.Prior(dtS);
        double baseVarianceNs2 = _noise.BaseVarianceNs2(sample);
        // After a jump the frequency carried over makes the prediction good from the second sample on: a sample far off
        // it is judged (held, and a rate change that came with the jump followed at the second such sample) instead of
        // being fitted as if the state knew nothing yet (random world 2-96: a migration's 38.9 ppm at 10 s reads was
        // taken into a frequency kept tight for two samples and rang for 10 reads).
        if (SampleCount >= _options.MinSamples || _anchor is not null)
        {
            var anchor = SampleCount == 1 ? _anchor : null;
            double anchorWindowNs2 = anchor is { } a ? AnchorVarianceNs2(a) - _noise.VarianceNs2(a) : 0;
            var verdict = _gate.Judge(sample, prior, _noise.Scale * baseVarianceNs2, anchor, anchorWindowNs2, dtS);
            if (verdict.Decision == GateDecision.FoldDrift) return FoldDrift(sample, prior, baseVarianceNs2, verdict.Line);
            if (verdict.Decision != GateDecision.Use) OutlierCount++;
            switch (verdict.Decision)
            {
                case GateDecision.Hold: return SampleOutcome.Outlier;
                case GateDecision.FollowStep: return FollowStep(sample, prior, baseVarianceNs2, verdict.Change!);
                case GateDecision.FollowRateChange:
                    return FollowRateChange(sample, verdict.Change!, verdict.SlopeNsPerS, verdict.DeviationNs, verdict.From);
                case GateDecision.Restart: return RestartFrom(verdict.Change!);
            }
        }
        _gate.ClearHeld();
        Update(sample, prior, baseVarianceNs2, adapt: SampleCount >= _options.MinSamples);
        if (SampleCount >= _options.MinSamples)
        {
            var now = _bank.Predict(0);
            _frequencyDrift.Add(sample.LocalTime.Nanoseconds, now.FreqNsPerS, now.P11);
        }
        _noise.ForgetManoeuvre(_bank.LearntWanderS2PerS3, SampleCount - _options.MinSamples);
        if (_gate.DriftQuiet) _noise.MarkQuiet();
        return SampleOutcome.Accepted;
    }

    /// <summary>
    /// Innovations kept growing on one side while each stayed inside the gate (<see cref="OutlierGate"/>): the reference's
    /// rate changed. The line is folded into the state and what the noise scale learnt from it is forgotten.
    /// </summary>
    private SampleOutcome FoldDrift(OffsetSample sample, ClockGaussian prior, double baseVarianceNs2, DriftLine line)
    {
        DriftCorrections++;
        _frequencyDrift.Restart();
        _noise.BackToQuiet();
        _gate.Clear();
        LastDiscontinuity = new Discontinuity(line.Start, DiscontinuityKind.FrequencyJump, Duration.Zero, line.SlopeNsPerS / 1e3, line.Samples);
        var correction = new ClockGaussian(line.OffsetNs, line.SlopeNsPerS,
            line.OffsetVarianceNs2, line.CovarianceNs2PerS, line.SlopeVarianceNs2PerS2);
        Update(sample, prior, baseVarianceNs2, adapt: false, correction);
        return SampleOutcome.Accepted;
    }

    /// <summary>A run of held samples is a discontinuity: by default the filter restarts from them, keeping what it
    /// learnt of the wander and noise.</summary>
    private SampleOutcome RestartFrom(Discontinuity discontinuity)
    {
        LastDiscontinuity = discontinuity;
        if (_options.ResetOnDiscontinuity)
        {
            var restart = _gate.Held.TakeLast(discontinuity.Samples).ToArray();
            // The discipline kept adjusting the clock while these samples were held: keep those
            // adjustments so each restart sample is seen in the frame the filter is in.
            var adjustments = _ledger.Pending.Where(a => a.At > restart[0].LocalTime).ToArray();
            double noiseScale = _noise.Scale;
            Reset(keepLearnt: true);
            _noise.Restore(noiseScale);
            foreach (var a in adjustments) _ledger.Add(a);
            LastDiscontinuity = discontinuity;
            foreach (var s in restart)
            {
                if (!_initialized) { Initialize(s); continue; }
                FoldAdjustments(s.LocalTime);
                var p = _bank.Prior(SecondsSinceState(s.LocalTime.Nanoseconds));
                Update(s, p, _noise.BaseVarianceNs2(s), adapt: false);
            }
        }
        _gate.ClearHeld();
        return SampleOutcome.Discontinuity;
    }

    /// <summary>
    /// Two held samples in a row deviate along a line from zero (<see cref="ChangeDetector.ChangeInRun"/>): the
    /// reference's rate (or the oscillator's) changed after the last normal sample. The state moves onto the line at
    /// this sample: offset + deviation, frequency + slope, with the line's own uncertainty (the samples' measurement
    /// noise: offset R2, slope (R1 + R2) / dt^2, covariance R2 / dt) on top of the prediction's. The sample is not
    /// used again as a measurement (the line already holds it). What was learnt about the wander stays; the noise
    /// scale goes back to its value before the change, and the drift history, drift CUSUM and third differences start
    /// over (the kink is no noise).
    /// </summary>
    private SampleOutcome FollowRateChange(OffsetSample sample, Discontinuity jump, double slopeNsPerS, double deviationNs, OffsetSample? from = null)
    {
        var first = from ?? _gate.Held[^2];
        double r1 = _noise.VarianceNs2(first), r2 = _noise.VarianceNs2(sample);
        // From the anchor (the state's own time, stepped into the current frame) or from the first held sample.
        double dtS = from is null ? (sample.LocalTime - first.LocalTime).Nanoseconds / 1e9 : SecondsSinceState(sample.LocalTime.Nanoseconds);
        _bank.Advance(SecondsSinceState(sample.LocalTime.Nanoseconds),
            new ClockGaussian(deviationNs, slopeNsPerS, r2, r2 / dtS, (r1 + r2) / (dtS * dtS)));
        _stateTimeNs = sample.LocalTime.Nanoseconds;
        _lastSampleNs = sample.LocalTime.Nanoseconds;
        SampleCount++;
        RateChangesFollowed++;
        _gate.Clear();
        _frequencyDrift.Restart();
        _noise.Restart();
        _noise.ForgetRecent();
        _noise.BackToQuiet();
        LastDiscontinuity = jump;
        return SampleOutcome.Discontinuity;
    }

    /// <summary>Rate changes followed at their second deviating sample (<see cref="FollowRateChange"/>).</summary>
    public long RateChangesFollowed { get; private set; }

    /// <summary>
    /// Two held samples in a row agree on one offset away from the prediction (<see cref="ChangeDetector.ChangeInRun"/>):
    /// the clock (or the reference) stepped after the last normal sample and its rate did not change. The first
    /// deviating sample measures the step (its deviation, with its measurement noise); this one is then an ordinary
    /// measurement of the stepped state, so the frequency, the learnt wander and noise and the drift history all
    /// carry over (a restart would relearn the frequency from a few samples and publish nothing until MinSamples).
    /// The third differences start over (a step is no noise).
    /// </summary>
    private SampleOutcome FollowStep(OffsetSample sample, ClockGaussian prior, double baseVarianceNs2, Discontinuity step)
    {
        double r1 = _noise.VarianceNs2(_gate.Held[^2]);
        _gate.Clear();
        _noise.Restart();
        _noise.BackToQuiet();
        Update(sample, prior, baseVarianceNs2, adapt: false, new ClockGaussian(step.Step.Nanoseconds, 0, r1, 0, 0));
        StepsFollowed++;
        LastDiscontinuity = step;
        return SampleOutcome.Discontinuity;
    }

    /// <summary>Steps followed at their second deviating sample (<see cref="FollowStep"/>).</summary>
    public long StepsFollowed { get; private set; }

    public void NotifyAdjustment(LocalClockAdjustment adjustment) => _ledger.Add(adjustment);

    public ClockEstimate? EstimateAt(Instant<Utc> localNow)
    {
        // With the frequency carried over a jump, one more sample than the restart's makes an estimate.
        if (!_initialized || SampleCount < (_anchor is not null ? 2 : _options.MinSamples)) return null;
        double dtS = SecondsSinceState(localNow.Nanoseconds - _ledger.StepsNs(localNow));
        var (offsetNs, freqNsPerS, p00, _, p11) = _bank.Predict(dtS);
        double sdNs = Math.Sqrt(Math.Max(0, p00));
        // The mixture's own two-sided quantile (BoundSigmas x sd for one model): a likely level with more wander
        // widens it more than its share of the variance would.
        double modelNs = _bank.OffsetHalfWidthNs(dtS, _boundMissProbability);
        // What the model does not hold (drift beyond it, a systematic error, held samples' doubt) adds to both bounds.
        double beyondNs = _holdover.BeyondModelNs(dtS, modelNs, t => _bank.Predict(0).Predict(t, 0, 0)) + _options.SystematicError.Nanoseconds + DoubtNs();
        double phaseNs = _ledger.PhaseNs(localNow);
        // The true offset is the state's plus the steering announced since: the same mixture's quantile around the
        // point where the clock's own offset is zero bounds the clock itself, in one rounding.
        double clockNs = _bank.OffsetHalfWidthNs(dtS, _boundMissProbability, aroundNs: -phaseNs);
        return new ClockEstimate(
            localNow,
            Duration.FromNanoseconds((long)Math.Round(offsetNs + phaseNs)),
            freqNsPerS / 1e3 + _ledger.FrequencyPpm(localNow),
            Duration.FromNanoseconds((long)Math.Ceiling(sdNs)),
            Math.Sqrt(Math.Max(0, p11)) / 1e3,
            WholeNs(modelNs + beyondNs),
            SampleCount) { TrueOffsetBound = WholeNs(clockNs + beyondNs) };
    }

    private static Duration WholeNs(double ns) => Duration.FromNanoseconds((long)Math.Ceiling(Math.Min(ns, long.MaxValue / 2.0)));

    /// <summary>
    /// While samples are held as possible outliers the estimator does not know whether they are wrong or the clock
    /// stepped: the bound must cover both. Widened by the farthest held sample's distance from the prediction at its
    /// time plus its own measurement spread (BoundSigmas sd), until it is used, dropped or starts a discontinuity.
    /// </summary>
    private double DoubtNs()
    {
        double doubtNs = 0;
        foreach (var h in _gate.Held)
        {
            var predicted = _bank.Predict(SecondsSinceState(h.LocalTime.Nanoseconds - _ledger.StepsNs(h.LocalTime)));
            double deviationNs = Math.Abs(h.Offset.Nanoseconds - (predicted.OffsetNs + _ledger.PhaseNs(h.LocalTime)));
            double spreadNs = _options.BoundSigmas * Math.Sqrt(_noise.VarianceNs2(h));
            doubtNs = Math.Max(doubtNs, deviationNs + spreadNs);
        }
        return doubtNs;
    }

    /// <summary>The frequency's observed movement (see <see cref="Estimation.FrequencyDrift"/>).</summary>
    public FrequencyDrift FrequencyDrift => _frequencyDrift;

    /// <summary>1-sigma uncertainty of the estimated offset at localNow, grown by the process noise since the last
    /// update (holdover). Null before the first sample.</summary>
    public Duration? PredictionErrorAt(Instant<Utc> localNow)
    {
        if (!_initialized) return null;
        var p = _bank.Predict(SecondsSinceState(localNow.Nanoseconds - _ledger.StepsNs(localNow)));
        return Duration.FromNanoseconds((long)Math.Ceiling(Math.Sqrt(Math.Max(0, p.P00))));
    }

    /// <summary>Forget everything, including the learnt wander.</summary>
    public void Reset() => Reset(keepLearnt: false);

    /// <summary>The clock jumped: forget the offset, keep the learnt wander and measurement noise (a restart from a
    /// few samples with the stated Error alone would publish a bound of a few ns where the readings scatter more),
    /// and keep what is known of the frequency. A jump moves the clock's phase (the VM stood still, or was restored
    /// or migrated), not its oscillator: the frequency, in the frame of the clock as it runs now (every adjustment
    /// announced so far applied), and its variance carry over, so the samples after the jump only have to find the
    /// offset. Restarting the frequency from its initial uncertainty instead lets the first seconds' samples fit a
    /// slope through their noise, which the discipline then steers (10-30 us for several seconds at 15 us per
    /// sample, against 3 us in steady state). Where a migration did change the frequency, the detector sees it as a
    /// frequency jump, as it would in steady state.</summary>
    public void RestartAfterJump()
    {
        double noiseScale = _noise.Scale;
        ClockGaussian? frequency = null;
        if (_initialized)
        {
            var now = _bank.Predict(0);
            var stateTime = new Instant<Utc>(_stateTimeNs);
            double announcedPpm = _ledger.FrequencyPpm(new Instant<Utc>(long.MaxValue)) - _ledger.FrequencyPpm(stateTime);
            frequency = new ClockGaussian(0, now.FreqNsPerS + announcedPpm * 1e3, 0, 0, now.P11);
        }
        Reset(keepLearnt: true);
        _noise.Restore(noiseScale);
        _frequencyAfterJump = frequency;
    }

    /// <summary>The frequency belief carried over a jump (<see cref="RestartAfterJump"/>) for the next Initialize.</summary>
    private ClockGaussian? _frequencyAfterJump;

    /// <summary>The sample a jump restart started from, the frequency carried over the jump (null otherwise): samples
    /// are judged against its prediction from the second on, not only after MinSamples.</summary>
    private OffsetSample? _anchor;

    /// <summary>keepLearnt: a discontinuity moved the clock, not the oscillator's nature: the wander stays.</summary>
    private void Reset(bool keepLearnt)
    {
        if (!keepLearnt) { _bank.ForgetWander(); _noise.ForgetThirdDifferences(); _frequencyDrift.Reset(); }
        else { _noise.Restart(); _frequencyDrift.Restart(); }
        _initialized = false;
        _gate.Clear();
        _ledger.Clear();
        _noise.Restore(1.0);
        _noise.ForgetRecent();
        _lastSampleNs = long.MinValue;
        SampleCount = 0;
        LastDiscontinuity = null;
        _frequencyAfterJump = null;
        _anchor = null;
    }

    private void Initialize(OffsetSample sample)
    {
        _ledger.FoldUpTo(sample.LocalTime);
        double freqSd = _options.InitialFrequencySdPpm * 1e3;
        var (freqNsPerS, freqVarianceNs2PerS2) = _frequencyAfterJump is { } kept ? (kept.FreqNsPerS, kept.P11) : (0.0, freqSd * freqSd);
        _anchor = _frequencyAfterJump is not null ? sample : null;
        _frequencyAfterJump = null;
        if (_anchor is not null) _gate.Anchor(sample.LocalTime);
        _stateTimeNs = sample.LocalTime.Nanoseconds;
        double varianceNs2 = _anchor is not null ? AnchorVarianceNs2(sample) : _noise.VarianceNs2(sample);
        _bank.Initialize(new ClockGaussian(sample.Offset.Nanoseconds, freqNsPerS, varianceNs2, 0, freqVarianceNs2PerS2));
        _initialized = true;
        _lastSampleNs = sample.LocalTime.Nanoseconds;
        SampleCount = 1;
    }

    /// <summary>The sample a jump restarts from was judged against nothing (it is the one that showed the jump): it may
    /// lie anywhere in its own window, whatever scatter the accepted samples showed. Its full stated spread (the learnt
    /// one where wider) anchors the state, so the samples after it, judged from the second on, are not held against a
    /// slow first reading's error (a 3 ms window read at its start after a resume).</summary>
    private double AnchorVarianceNs2(OffsetSample anchor) => Math.Max(_noise.Scale, 1) * _noise.BaseVarianceNs2(anchor);

    /// <summary>Moves the state into the frame of the clock as it runs from T on: de-steer with C(t_s), F(t_s),
    /// re-steer with C(T) + F(T)(t_s - T) and F(T); a step also moves the state's local time.</summary>
    private void FoldAdjustments(Instant<Utc> at)
    {
        if (_ledger.PendingCount == 0) return;
        var stateTime = new Instant<Utc>(_stateTimeNs);
        double freqAtPpm = _ledger.FrequencyPpm(at);
        _frequencyDrift.Shift((freqAtPpm - _ledger.FrequencyPpm(stateTime)) * 1e3);
        _bank.Shift(_ledger.PhaseNs(at) - _ledger.PhaseNs(stateTime) + freqAtPpm * 1e-6 * (_stateTimeNs - at.Nanoseconds),
            (freqAtPpm - _ledger.FrequencyPpm(stateTime)) * 1e3);
        _stateTimeNs += _ledger.StepsNs(at) - _ledger.StepsNs(stateTime);
        _noise.Shift(t =>
        {
            var ti = new Instant<Utc>(t);
            return (_ledger.StepsNs(at) - _ledger.StepsNs(ti), _ledger.PhaseNs(at) - _ledger.PhaseNs(ti) + freqAtPpm * 1e-6 * (t - at.Nanoseconds));
        });
        _ledger.FoldUpTo(at);
    }

    private double SecondsSinceState(long timeNs) => (timeNs - _stateTimeNs) / 1e9;

    /// <summary>prior: the bank's combined prior for this sample (before any correction).</summary>
    private void Update(OffsetSample sample, ClockGaussian prior, double baseVarianceNs2, bool adapt, ClockGaussian correction = default)
    {
        double r = _noise.Scale * baseVarianceNs2;
        _bank.Update(sample.Offset.Nanoseconds, r, SecondsSinceState(sample.LocalTime.Nanoseconds), correction);
        if (_lastSampleNs != long.MinValue && sample.LocalTime.Nanoseconds > _lastSampleNs)
            _holdover.AddSpacing((sample.LocalTime.Nanoseconds - _lastSampleNs) / 1e9);
        _stateTimeNs = sample.LocalTime.Nanoseconds;
        _lastSampleNs = sample.LocalTime.Nanoseconds;
        _noise.Observe(sample.LocalTime.Nanoseconds, sample.Offset.Nanoseconds, baseVarianceNs2);
        SampleCount++;
        if (!adapt) return;
        var posterior = _bank.Predict(0);
        if (_noise.Learn(sample.Offset.Nanoseconds - prior.OffsetNs, prior.P00, sample.Offset.Nanoseconds - posterior.OffsetNs,
                posterior.P00, baseVarianceNs2, r, SampleCount - _options.MinSamples) is { } widen)
            _bank.ScaleCovariance(widen);
    }
}
