using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>
/// ntpd-rs-like 2-state Kalman filter: state (offset ns, frequency ns/s), random-walk frequency (wander) plus a
/// little phase diffusion as process noise, measurement variance from the sample's Error (and Delay) times a
/// noise scale the filter learns from its innovations. Innovations beyond ThresholdSigmas are held as outliers;
/// a run of them is a discontinuity (and by default re-initialises the filter from the run). A drift that stays
/// inside the gate (a rate change seen through wide noise) is caught by a CUSUM on the innovations
/// (<see cref="DriftCusum"/>) and folded into the state, before the noise adaptation can learn it as noise.
/// History is de-steered like <see cref="RegressionEstimator"/>: an adjustment moves the state into the clock's
/// new frame instead of corrupting it.
///
/// Error bound at local time t (documented formula):
///   P(t)       = F P F' + Q(dt), dt = time since the last update (holdover growth: wander dt^3/3, phase dt)
///   ErrorBound = BoundSigmas * sqrt(P00(t)) + SystematicError
/// </summary>
public sealed class KalmanEstimator : IClockEstimator
{
    private readonly KalmanOptions _options;
    private readonly SteeringLedger _ledger = new();
    private readonly ChangeDetector _detector;
    private readonly List<OffsetSample> _held = [];
    private readonly DriftCusum? _drift;

    private bool _initialized;
    private long _stateTimeNs;
    private double _offsetNs;
    private double _freqNsPerS;
    private double _p00, _p01, _p11;
    private double _noiseScale = 1.0;
    private double _quietNoiseScale = 1.0;
    private long _lastSampleNs = long.MinValue;

    public KalmanEstimator(KalmanOptions? options = null)
    {
        _options = options ?? new KalmanOptions();
        _options.Validate();
        _detector = new ChangeDetector(_options.Detector);
        if (_options.DriftThresholdSigmas > 0) _drift = new DriftCusum(_options.DriftSlackSigmas, _options.DriftThresholdSigmas);
    }

    public KalmanOptions Options => _options;

    /// <summary>Samples used since the last reset.</summary>
    public int SampleCount { get; private set; }

    /// <summary>Samples rejected as outliers in total.</summary>
    public long OutlierCount { get; private set; }

    /// <summary>Learned ratio of the actual measurement variance to the one modelled from Error (1 = as modelled).</summary>
    public double MeasurementNoiseScale => _noiseScale;

    /// <summary>Rate changes found by the drift CUSUM and folded into the state (no reset).</summary>
    public long DriftCorrections { get; private set; }

    /// <summary>The most recent detected step or frequency jump (null until one happens).</summary>
    public Discontinuity? LastDiscontinuity { get; private set; }

    private const double MinNoiseScale = 1e-8;
    private const double MaxNoiseScale = 1e4;

    public void AddSample(OffsetSample sample) => Add(sample);

    /// <summary>Offers one sample; says whether it was used, held as an outlier, or completed a discontinuity.</summary>
    public SampleOutcome Add(OffsetSample sample)
    {
        if (sample.Error.Nanoseconds < 0 || sample.Delay.Nanoseconds < 0) return SampleOutcome.Invalid;
        long newestNs = _held.Count > 0 ? _held[^1].LocalTime.Nanoseconds : _lastSampleNs;
        if (sample.LocalTime.Nanoseconds <= newestNs) return SampleOutcome.OutOfOrder;

        if (!_initialized)
        {
            Initialize(sample);
            return SampleOutcome.Accepted;
        }
        FoldAdjustments(sample.LocalTime);
        var (offsetNs, freqNsPerS, p00, p01, p11) = PredictTo(sample.LocalTime.Nanoseconds);
        double baseVarianceNs2 = MeasurementVarianceNs2(sample);
        double innovationNs = sample.Offset.Nanoseconds - offsetNs;
        double innovationVarianceNs2 = p00 + _noiseScale * baseVarianceNs2;
        if (SampleCount >= _options.MinSamples)
        {
            bool inGate = Math.Abs(innovationNs) <= _options.Detector.ThresholdSigmas * Math.Sqrt(innovationVarianceNs2);
            if (_drift is { } drift && drift.Observe(sample.LocalTime, innovationNs, Math.Sqrt(innovationVarianceNs2)) && inGate
                && FitDrift(drift.AlarmRun, sample.LocalTime) is { } line)
            {
                drift.Reset();
                // Innovations that keep growing on one side while each stays inside the gate: the reference's rate
                // changed. Learning them as noise would widen the gate faster than they grow (the rate change would
                // never be followed): fold the line into the state instead and forget what the noise scale learnt.
                DriftCorrections++;
                _noiseScale = _quietNoiseScale;
                _detector.Reset();
                _held.Clear();
                LastDiscontinuity = new Discontinuity(line.Start, DiscontinuityKind.FrequencyJump, Duration.Zero, line.SlopeNsPerS / 1e3, line.Samples);
                var corrected = (offsetNs + line.OffsetNs, freqNsPerS + line.SlopeNsPerS,
                    p00 + line.OffsetVarianceNs2, p01 + line.CovarianceNs2PerS, p11 + line.SlopeVarianceNs2PerS2);
                Update(sample, corrected, baseVarianceNs2, adapt: false);
                return SampleOutcome.Accepted;
            }
            // An alarm whose run shows no significant line yet is kept (the next samples may show it) up to a point.
            if (_drift is { Alarm: true } d && d.AlarmRun.Count >= MaxDriftRun) d.Reset();
            switch (_detector.Observe(sample.LocalTime, innovationNs, Math.Sqrt(innovationVarianceNs2)))
            {
                case ChangeVerdict.Outlier:
                    _held.Add(sample);
                    OutlierCount++;
                    return SampleOutcome.Outlier;
                case ChangeVerdict.Discontinuity:
                    _held.Add(sample);
                    OutlierCount++;
                    var discontinuity = _detector.Last!;
                    LastDiscontinuity = discontinuity;
                    if (_options.ResetOnDiscontinuity)
                    {
                        var restart = _held.TakeLast(discontinuity.Samples).ToArray();
                        // The discipline kept adjusting the clock while these samples were held: keep those
                        // adjustments so each restart sample is seen in the frame the filter is in.
                        var adjustments = _ledger.Pending.Where(a => a.At > restart[0].LocalTime).ToArray();
                        double noiseScale = _noiseScale;
                        Reset();
                        _noiseScale = _quietNoiseScale = noiseScale;
                        foreach (var a in adjustments) _ledger.Add(a);
                        LastDiscontinuity = discontinuity;
                        foreach (var s in restart)
                        {
                            if (!_initialized) { Initialize(s); continue; }
                            FoldAdjustments(s.LocalTime);
                            var p = PredictTo(s.LocalTime.Nanoseconds);
                            Update(s, p, MeasurementVarianceNs2(s), adapt: false);
                        }
                    }
                    _held.Clear();
                    return SampleOutcome.Discontinuity;
            }
        }
        _held.Clear();
        Update(sample, (offsetNs, freqNsPerS, p00, p01, p11), baseVarianceNs2, adapt: SampleCount >= _options.MinSamples);
        if (_drift is null || _drift.Quiet) _quietNoiseScale = _noiseScale;
        return SampleOutcome.Accepted;
    }

    /// <summary>A run's slope this many of its own standard errors from zero (scatter about the line, not the
    /// model's noise, which may be mis-learnt) is a drift; anything less is noise.</summary>
    private const double DriftSlopeSigmas = 4.0;

    /// <summary>An alarm not confirmed by a significant line within this many samples was noise: start over.</summary>
    private const int MaxDriftRun = 32;

    private readonly record struct DriftLine(Instant<Utc> Start, int Samples, double OffsetNs, double SlopeNsPerS,
        double OffsetVarianceNs2, double CovarianceNs2PerS, double SlopeVarianceNs2PerS2);

    /// <summary>Least-squares line through the run's innovations, evaluated at now; null unless it grows away from
    /// zero with a significant slope.</summary>
    private static DriftLine? FitDrift(IReadOnlyList<(Instant<Utc> At, double InnovationNs, double SdNs)> run, Instant<Utc> now)
    {
        int n = run.Count;
        if (n < 4) return null;
        double meanT = run.Average(r => (r.At - now).Nanoseconds / 1e9);
        double meanY = run.Average(r => r.InnovationNs);
        double sxx = 0, sxy = 0;
        foreach (var (at, y, _) in run)
        {
            double dx = (at - now).Nanoseconds / 1e9 - meanT;
            sxx += dx * dx;
            sxy += dx * (y - meanY);
        }
        if (!(sxx > 0)) return null;
        double slope = sxy / sxx;
        double intercept = meanY - slope * meanT; // at now
        double rss = 0;
        foreach (var (at, y, _) in run)
        {
            double e = y - intercept - slope * (at - now).Nanoseconds / 1e9;
            rss += e * e;
        }
        double residualVariance = Math.Max(rss / (n - 2), 1);
        double slopeVariance = residualVariance / sxx;
        if (Math.Sign(slope) != Math.Sign(meanY) || Math.Abs(slope) < DriftSlopeSigmas * Math.Sqrt(slopeVariance)) return null;
        // intercept = meanY - slope * meanT: var = s2/n + meanT^2 var(slope); cov(intercept, slope) = -meanT var(slope).
        return new DriftLine(run[0].At, n, intercept, slope,
            residualVariance / n + meanT * meanT * slopeVariance, -meanT * slopeVariance, slopeVariance);
    }

    public void NotifyAdjustment(LocalClockAdjustment adjustment) => _ledger.Add(adjustment);

    public ClockEstimate? EstimateAt(Instant<Utc> localNow)
    {
        if (!_initialized || SampleCount < _options.MinSamples) return null;
        var (offsetNs, freqNsPerS, p00, _, p11) = PredictTo(localNow.Nanoseconds - _ledger.StepsNs(localNow));
        double sdNs = Math.Sqrt(Math.Max(0, p00));
        double boundNs = _options.BoundSigmas * sdNs + _options.SystematicError.Nanoseconds;
        return new ClockEstimate(
            localNow,
            Duration.FromNanoseconds((long)Math.Round(offsetNs + _ledger.PhaseNs(localNow))),
            freqNsPerS / 1e3 + _ledger.FrequencyPpm(localNow),
            Duration.FromNanoseconds((long)Math.Ceiling(sdNs)),
            Math.Sqrt(Math.Max(0, p11)) / 1e3,
            Duration.FromNanoseconds((long)Math.Ceiling(Math.Min(boundNs, long.MaxValue / 2.0))),
            SampleCount);
    }

    /// <summary>1-sigma uncertainty of the estimated offset at localNow, grown by the process noise since the last
    /// update (holdover). Null before the first sample.</summary>
    public Duration? PredictionErrorAt(Instant<Utc> localNow)
    {
        if (!_initialized) return null;
        var p = PredictTo(localNow.Nanoseconds - _ledger.StepsNs(localNow));
        return Duration.FromNanoseconds((long)Math.Ceiling(Math.Sqrt(Math.Max(0, p.P00))));
    }

    public void Reset()
    {
        _initialized = false;
        _held.Clear();
        _ledger.Clear();
        _detector.Reset();
        _drift?.Reset();
        _noiseScale = 1.0;
        _quietNoiseScale = 1.0;
        _lastSampleNs = long.MinValue;
        SampleCount = 0;
        LastDiscontinuity = null;
    }

    private void Initialize(OffsetSample sample)
    {
        _ledger.FoldUpTo(sample.LocalTime);
        double freqSd = _options.InitialFrequencySdPpm * 1e3;
        _stateTimeNs = sample.LocalTime.Nanoseconds;
        _offsetNs = sample.Offset.Nanoseconds;
        _freqNsPerS = 0;
        _p00 = _noiseScale * MeasurementVarianceNs2(sample);
        _p01 = 0;
        _p11 = freqSd * freqSd;
        _initialized = true;
        _lastSampleNs = sample.LocalTime.Nanoseconds;
        SampleCount = 1;
    }

    /// <summary>Moves the state into the frame of the clock as it runs from T on: de-steer with C(t_s), F(t_s),
    /// re-steer with C(T) + F(T)(t_s - T) and F(T); a step also moves the state's local time.</summary>
    private void FoldAdjustments(Instant<Utc> at)
    {
        if (_ledger.PendingCount == 0) return;
        var stateTime = new Instant<Utc>(_stateTimeNs);
        double freqAtPpm = _ledger.FrequencyPpm(at);
        _offsetNs += _ledger.PhaseNs(at) - _ledger.PhaseNs(stateTime) + freqAtPpm * 1e-6 * (_stateTimeNs - at.Nanoseconds);
        _freqNsPerS += (freqAtPpm - _ledger.FrequencyPpm(stateTime)) * 1e3;
        _stateTimeNs += _ledger.StepsNs(at) - _ledger.StepsNs(stateTime);
        _ledger.FoldUpTo(at);
    }

    private (double OffsetNs, double FreqNsPerS, double P00, double P01, double P11) PredictTo(long timeNs)
    {
        double dt = (timeNs - _stateTimeNs) / 1e9;
        double offset = _offsetNs + _freqNsPerS * dt;
        // P' = F P F' with F = [[1, dt], [0, 1]]
        double p00 = _p00 + 2 * dt * _p01 + dt * dt * _p11;
        double p01 = _p01 + dt * _p11;
        double p11 = _p11;
        double adt = Math.Abs(dt);
        double wander = _options.FrequencyWanderS2PerS3 * 1e18;
        double diffusion = _options.PhaseDiffusionS2PerS * 1e18;
        p00 += wander * adt * adt * adt / 3 + diffusion * adt;
        p01 += wander * dt * adt / 2;
        p11 += wander * adt;
        return (offset, _freqNsPerS, p00, p01, p11);
    }

    private void Update(OffsetSample sample, (double OffsetNs, double FreqNsPerS, double P00, double P01, double P11) prior,
        double baseVarianceNs2, bool adapt)
    {
        double r = _noiseScale * baseVarianceNs2;
        double innovation = sample.Offset.Nanoseconds - prior.OffsetNs;
        double s = prior.P00 + r;
        double k0 = prior.P00 / s, k1 = prior.P01 / s;
        _offsetNs = prior.OffsetNs + k0 * innovation;
        _freqNsPerS = prior.FreqNsPerS + k1 * innovation;
        _p00 = (1 - k0) * prior.P00;
        _p01 = (1 - k0) * prior.P01;
        _p11 = prior.P11 - k1 * prior.P01;
        _stateTimeNs = sample.LocalTime.Nanoseconds;
        _lastSampleNs = sample.LocalTime.Nanoseconds;
        SampleCount++;
        if (adapt && _options.NoiseAdaptationRate > 0)
        {
            // E[innovation^2] = P00 + scale * R_base: estimate the scale from what the model does not explain.
            // Only the measurement's share of the innovation says anything about it: when wander dominates
            // (P00 >> R) the estimate is mostly noise, so its weight falls with the square of that share.
            double observed = (innovation * innovation - prior.P00) / baseVarianceNs2;
            double share = r / s;
            // Early on the running estimate has seen few innovations: average them equally (rate 1/n) until
            // the configured rate takes over, so a badly modelled noise level is learnt in a few samples.
            double rate = Math.Max(_options.NoiseAdaptationRate, 1.0 / Math.Max(2, SampleCount - _options.MinSamples + 1)) * share * share;
            _noiseScale = Math.Clamp((1 - rate) * _noiseScale + rate * observed, MinNoiseScale, MaxNoiseScale);
        }
    }

    private double MeasurementVarianceNs2(OffsetSample sample)
    {
        double sd = Math.Max(_options.MeasurementSigmaPerError * sample.Error.Nanoseconds, _options.MeasurementSigmaFloor.Nanoseconds);
        double delaySd = _options.MeasurementSigmaPerDelay * sample.Delay.Nanoseconds;
        return sd * sd + delaySd * delaySd;
    }
}
