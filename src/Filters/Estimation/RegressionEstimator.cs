using MathNet.Numerics.Distributions;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>
/// chrony-sourcestats-like estimator: weighted least squares of offset against local time over up to MaxSamples
/// samples (weights 1/error^2), old samples dropped while a runs test says the residuals are not random.
/// History is de-steered: when the discipline adjusts the clock, stored samples are moved into the clock's new
/// frame (see <see cref="SteeringLedger"/>), so the fit always sees one smooth line.
///
/// Error bound at local time t (documented formula):
///   sigma(t)^2 = Var(a + b x) from the fit covariance (scaled by the residual variance s^2)
///                + q_wander * dt^3 / 3        (dt = time since the newest sample, holdover only)
///   ErrorBound  = t_{dof}(BoundCoverage) * sigma(t) + SystematicError
/// where t_{dof} is the two-sided Student t quantile: the residual variance s^2 is itself estimated, from the
/// window's n-2 degrees of freedom pooled with up to NoiseHistoryDegreesOfFreedom from earlier windows (so
/// dof = n-2+prior; a window the runs test just shortened does not make the bound jump). Measurement noise of the samples is in s^2 through the residuals, so it needs no extra term.
/// </summary>
public sealed class RegressionEstimator : IClockEstimator
{
    private readonly RegressionOptions _options;
    private readonly SteeringLedger _ledger = new();
    private readonly ChangeDetector _detector;
    private readonly List<StoredSample> _samples = [];
    private readonly List<OffsetSample> _held = [];
    private WeightedLineFit? _fit;
    private double _noiseScale2;
    private int _fitsSinceReset;

    /// <summary>Weight of one window in the running residual-variance estimate used for pooling.</summary>
    private const double NoiseHistoryRate = 1.0 / 16;

    private record struct StoredSample(long TimeNs, double OffsetNs, double ErrorNs);

    public RegressionEstimator(RegressionOptions? options = null)
    {
        _options = options ?? new RegressionOptions();
        _options.Validate();
        _detector = new ChangeDetector(_options.Detector);
    }

    public RegressionOptions Options => _options;

    /// <summary>Samples in the current fit.</summary>
    public int SampleCount => _samples.Count;

    /// <summary>Samples the runs test removed in total (a measure of how often the line stopped fitting).</summary>
    public long RunsTestDrops { get; private set; }

    /// <summary>The most recent detected step or frequency jump (null until one happens).</summary>
    public Discontinuity? LastDiscontinuity { get; private set; }

    /// <summary>chrony's skew: frequency standard deviation x Student t (95 %), clamped to [1e-6, 1e6] ppm;
    /// 2000 ppm without a fit.</summary>
    public double SkewPpm
    {
        get
        {
            if (_fit is not { } fit) return NoFitSkewPpm;
            double t = StudentQuantile.Of(fit.DegreesOfFreedom, 0.975);
            return Math.Clamp(Math.Sqrt(fit.SlopeVariance) * t / 1e3, MinSkewPpm, MaxSkewPpm);
        }
    }

    private const double NoFitSkewPpm = 2000;
    private const double NormalQuantile9995 = 3.2905267314919;
    private const double MinSkewPpm = 1e-6;
    private const double MaxSkewPpm = 1e6;

    public void AddSample(OffsetSample sample) => Add(sample);

    /// <summary>Offers one sample; says whether it was used, held as an outlier, or completed a discontinuity.</summary>
    public SampleOutcome Add(OffsetSample sample)
    {
        if (sample.Error.Nanoseconds < 0 || sample.Delay.Nanoseconds < 0) return SampleOutcome.Invalid;
        long newestNs = _held.Count > 0 ? _held[^1].LocalTime.Nanoseconds
            : _samples.Count > 0 ? _samples[^1].TimeNs : long.MinValue;
        if (sample.LocalTime.Nanoseconds <= newestNs) return SampleOutcome.OutOfOrder;

        if (_fit is { } && _samples.Count >= _options.MinSamplesForDetection
            && PredictSample(sample) is var (predictedNs, sdNs))
        {
            double residualNs = sample.Offset.Nanoseconds - predictedNs;
            switch (_detector.Observe(sample.LocalTime, residualNs, sdNs))
            {
                case ChangeVerdict.Outlier:
                    _held.Add(sample);
                    return SampleOutcome.Outlier;
                case ChangeVerdict.Discontinuity:
                    LastDiscontinuity = _detector.Last;
                    _held.Add(sample);
                    if (_options.ResetOnDiscontinuity)
                    {
                        var restart = _held.TakeLast(_detector.Last!.Samples).ToArray();
                        var discontinuity = LastDiscontinuity;
                        Reset();
                        LastDiscontinuity = discontinuity;
                        foreach (var s in restart) Store(s);
                        Refit();
                    }
                    _held.Clear();
                    return SampleOutcome.Discontinuity;
            }
        }
        _held.Clear();
        Store(sample);
        Refit();
        return SampleOutcome.Accepted;
    }

    public void NotifyAdjustment(LocalClockAdjustment adjustment) => _ledger.Add(adjustment);

    public ClockEstimate? EstimateAt(Instant<Utc> localNow)
    {
        if (_fit is not { } fit || _samples.Count < _options.MinSamples) return null;
        double xS = ModelTimeS(localNow);
        double offsetNs = fit.ValueAt(xS) + _ledger.PhaseNs(localNow);
        double freqPpm = fit.SlopeNsPerS / 1e3 + _ledger.FrequencyPpm(localNow);
        double sdNs = Math.Sqrt(fit.ValueVarianceAt(xS));
        return new ClockEstimate(
            localNow,
            Duration.FromNanoseconds((long)Math.Round(offsetNs)),
            freqPpm,
            Duration.FromNanoseconds((long)Math.Ceiling(sdNs)),
            Math.Sqrt(fit.SlopeVariance) / 1e3,
            BoundAt(fit, localNow),
            _samples.Count);
    }

    /// <summary>1-sigma uncertainty of the estimated offset at localNow: the fit's own uncertainty plus frequency
    /// wander accumulated since the newest sample (so holdover bounds grow). Null without a fit.</summary>
    public Duration? PredictionErrorAt(Instant<Utc> localNow) =>
        _fit is { } fit ? Duration.FromNanoseconds((long)Math.Ceiling(Math.Sqrt(PredictionVarianceAt(fit, localNow)))) : null;

    public void Reset()
    {
        _samples.Clear();
        _held.Clear();
        _ledger.Clear();
        _detector.Reset();
        _fit = null;
        _fitsSinceReset = 0;
        _noiseScale2 = 0;
        LastDiscontinuity = null;
    }

    /// <summary>Predicted offset of a new sample and the standard deviation of (sample - prediction), in ns.</summary>
    internal (double OffsetNs, double SdNs)? PredictSample(OffsetSample sample)
    {
        if (_fit is not { } fit) return null;
        double xS = ModelTimeS(sample.LocalTime);
        double predictedNs = fit.ValueAt(xS) + _ledger.PhaseNs(sample.LocalTime);
        double errorNs = Math.Max(sample.Error.Nanoseconds, _options.ErrorFloor.Nanoseconds);
        double varianceNs2 = PredictionVarianceAt(fit, sample.LocalTime) + fit.ResidualScale2 * errorNs * errorNs;
        // The residual scale comes from n-2 degrees of freedom: widen k sigma to the same tail under Student t.
        double widen = StudentQuantile.Of(fit.DegreesOfFreedom, 0.9995) / NormalQuantile9995;
        return (predictedNs, Math.Sqrt(varianceNs2) * widen);
    }

    private void Store(OffsetSample sample)
    {
        // Move the history into the frame of the clock as it runs from this sample's time T on: de-steer each
        // sample (y_i - C(t_i)) and re-steer it with the course the clock has at T, C(T) + F(T) (t_i - T).
        // The local time axis of samples taken before a step moves with the step.
        var at = sample.LocalTime;
        if (_ledger.PendingCount > 0)
        {
            double phaseAtNs = _ledger.PhaseNs(at);
            double freqAtPpm = _ledger.FrequencyPpm(at);
            long stepsAtNs = _ledger.StepsNs(at);
            for (int i = 0; i < _samples.Count; i++)
            {
                var s = _samples[i];
                var t = new Instant<Utc>(s.TimeNs);
                _samples[i] = new StoredSample(
                    s.TimeNs + stepsAtNs - _ledger.StepsNs(t),
                    s.OffsetNs - _ledger.PhaseNs(t) + phaseAtNs + freqAtPpm * 1e-6 * (s.TimeNs - at.Nanoseconds),
                    s.ErrorNs);
            }
            _ledger.FoldUpTo(at);
        }
        double errorNs = Math.Max(sample.Error.Nanoseconds, _options.ErrorFloor.Nanoseconds);
        _samples.Add(new StoredSample(at.Nanoseconds, sample.Offset.Nanoseconds, errorNs));
        if (_samples.Count > _options.MaxSamples) _samples.RemoveRange(0, _samples.Count - _options.MaxSamples);
    }

    private void Refit()
    {
        _fit = null;
        if (_samples.Count < 3) return;
        int n = _samples.Count;
        long originNs = _samples[^1].TimeNs;
        var x = new double[n];
        var y = new double[n];
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (_samples[i].TimeNs - originNs) / 1e9;
            y[i] = _samples[i].OffsetNs;
            w[i] = 1.0 / (_samples[i].ErrorNs * _samples[i].ErrorNs);
        }
        var residuals = new double[n];
        int start = 0;
        WeightedLineFit fit;
        while (true)
        {
            fit = WeightedLineFit.Fit(x.AsSpan(start), y.AsSpan(start), w.AsSpan(start));
            if (n - start <= _options.MinSamples) break;
            for (int i = start; i < n; i++) residuals[i] = y[i] - fit.ValueAt(x[i]);
            if (!RunsTest.IsNonRandom(residuals.AsSpan(start, n - start), _options.RunsTestSignificance)) break;
            start++;
        }
        if (start > 0)
        {
            _samples.RemoveRange(0, start);
            RunsTestDrops += start;
        }
        // Pool the window's residual variance with the noise level seen over earlier windows (see options).
        int priorDof = Math.Min(_options.NoiseHistoryDegreesOfFreedom, _fitsSinceReset);
        var pooled = _fitsSinceReset > 0 ? fit.PooledWith(_noiseScale2, priorDof) : fit;
        _noiseScale2 = _fitsSinceReset == 0 ? fit.WindowResidualScale2
            : (1 - NoiseHistoryRate) * _noiseScale2 + NoiseHistoryRate * fit.WindowResidualScale2;
        _fitsSinceReset++;
        _fit = pooled;
    }

    /// <summary>Seconds from the newest sample to t on the fit's time axis (pending steps moved t's clock).</summary>
    private double ModelTimeS(Instant<Utc> t) =>
        (t.Nanoseconds - _ledger.StepsNs(t) - _samples[^1].TimeNs) / 1e9;

    private double PredictionVarianceAt(WeightedLineFit fit, Instant<Utc> t)
    {
        double xS = ModelTimeS(t);
        double holdoverS = Math.Max(0, xS);
        double wanderNs2PerS3 = _options.FrequencyWanderS2PerS3 * 1e18;
        return fit.ValueVarianceAt(xS) + wanderNs2PerS3 * holdoverS * holdoverS * holdoverS / 3;
    }

    private Duration BoundAt(WeightedLineFit fit, Instant<Utc> t)
    {
        double quantile = StudentQuantile.Of(fit.DegreesOfFreedom, 0.5 + _options.BoundCoverage / 2);
        double boundNs = quantile * Math.Sqrt(PredictionVarianceAt(fit, t)) + _options.SystematicError.Nanoseconds;
        // While samples are held as possible outliers, the bound covers them too (they may be a step): widened by the
        // farthest one's distance from the prediction plus the prediction's spread at its time.
        foreach (var h in _held)
            if (PredictSample(h) is var (predictedNs, sdNs))
                boundNs = Math.Max(boundNs, quantile * Math.Sqrt(PredictionVarianceAt(fit, t)) + Math.Abs(h.Offset.Nanoseconds - predictedNs) + quantile * sdNs);
        return Duration.FromNanoseconds((long)Math.Ceiling(Math.Min(boundNs, long.MaxValue / 2.0)));
    }
}
