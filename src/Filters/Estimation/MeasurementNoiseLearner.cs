using Sync.Filters.Samples;

namespace Sync.Filters.Estimation;

/// <summary>
/// The measurement noise of <see cref="KalmanEstimator"/>: a sample's variance is the one its Error (and Delay) states
/// (<see cref="BaseVarianceNs2"/>) times a scale learnt from the samples (<see cref="Scale"/>, 1 = as stated). The scale
/// comes from the innovations and the residuals after each update and, once they have measured it, from the
/// model-free third differences of the samples (<see cref="ThirdDifferenceNoise"/>). What a frequency jump would teach
/// it (innovations the model cannot explain yet) is forgotten again (<see cref="ForgetManoeuvre"/>), and the scale
/// before a drift built up is kept (<see cref="QuietScale"/>) so a followed change can go back to it.
/// </summary>
internal sealed class MeasurementNoiseLearner
{
    private const double MinScale = 1e-8;
    private const double MaxScale = 1e4;

    /// <summary>The measured noise scale is raised by this many of its own standard deviations (see
    /// <see cref="ThirdDifferenceNoise.ScaleWithMargin"/>).</summary>
    private const double ThirdDifferenceMarginSigmas = 0.5;

    /// <summary>Samples over which a jump of the learnt wander counts as one manoeuvre.</summary>
    private const int ManoeuvreSamples = 8;

    /// <summary>The learnt wander rising this many times within <see cref="ManoeuvreSamples"/>: the frequency jumped.</summary>
    private const double ManoeuvreWanderRise = 10;

    private readonly KalmanOptions _options;
    private readonly ThirdDifferenceNoise _thirdDifferences;
    private readonly Queue<(double NoiseScale, double WanderS2PerS3)> _recentLearnt = new();
    private double _scaleFromInnovations = 1.0, _scaleFromResiduals = 1.0;

    public MeasurementNoiseLearner(KalmanOptions options)
    {
        _options = options;
        // Consecutive third differences share three samples: a quarter of the noise adaptation's rate gives about as
        // many independent ones as the innovations' running mean has (scatter about 15 %).
        _thirdDifferences = new ThirdDifferenceNoise((_options.NoiseAdaptationRate > 0 ? _options.NoiseAdaptationRate : 1.0 / 64) / 4);
    }

    /// <summary>Learnt ratio of the actual measurement variance to the one modelled from Error (1 = as modelled).</summary>
    public double Scale { get; private set; } = 1.0;

    /// <summary>The scale while no drift evidence was building: what a followed change goes back to.</summary>
    public double QuietScale { get; private set; } = 1.0;

    /// <summary>The variance a sample's Error and Delay state (scale 1).</summary>
    public double BaseVarianceNs2(OffsetSample sample)
    {
        double sd = Math.Max(_options.MeasurementSigmaPerError * sample.Error.Nanoseconds, _options.MeasurementSigmaFloor.Nanoseconds);
        double delaySd = _options.MeasurementSigmaPerDelay * sample.Delay.Nanoseconds;
        return sd * sd + delaySd * delaySd;
    }

    /// <summary>A sample's variance as learnt: <see cref="Scale"/> x <see cref="BaseVarianceNs2"/>.</summary>
    public double VarianceNs2(OffsetSample sample) => Scale * BaseVarianceNs2(sample);

    /// <summary>Sets the scale, and the quiet scale with it.</summary>
    public void Restore(double scale) => Set(QuietScale = scale);

    /// <summary>Goes back to the scale learnt before a drift built up (the excess was the drift, not noise).</summary>
    public void BackToQuiet() => Set(QuietScale);

    /// <summary>No drift evidence is building: the current scale is a quiet one.</summary>
    public void MarkQuiet() => QuietScale = Scale;

    /// <summary>One used sample (in the current frame) for the third differences.</summary>
    public void Observe(long timeNs, double offsetNs, double baseVarianceNs2) => _thirdDifferences.Add(timeNs, offsetNs, baseVarianceNs2);

    /// <summary>The clock was steered: moves the stored samples (see <see cref="ThirdDifferenceNoise.Shift"/>).</summary>
    public void Shift(Func<long, (long TimeShiftNs, double OffsetShiftNs)> shift) => _thirdDifferences.Shift(shift);

    /// <summary>A discontinuity: the recent samples start over, what was learnt stays.</summary>
    public void Restart() => _thirdDifferences.Restart();

    /// <summary>Forget the third differences learnt (the scale is set by the caller).</summary>
    public void ForgetThirdDifferences() => _thirdDifferences.Reset();

    /// <summary>Forget the record of recent learning (<see cref="ForgetManoeuvre"/> starts over).</summary>
    public void ForgetRecent() => _recentLearnt.Clear();

    /// <summary>
    /// Learns from one update: innovation = sample - prior offset, residual = sample - posterior offset, r the
    /// variance the update used (the scale before it x baseVarianceNs2); samplesPastMin = samples used beyond the
    /// estimator's MinSamples. Returns the factor the state's covariance must widen by when the scale rose
    /// (null when it did not).
    /// </summary>
    public double? Learn(double innovation, double priorP00, double residual, double posteriorP00, double baseVarianceNs2, double r,
        int samplesPastMin)
    {
        if (!(_options.NoiseAdaptationRate > 0)) return null;
        double s = priorP00 + r;
        // Two estimates of the noise scale, each unbiased when the model is right:
        //  - innovations: E[innovation^2] = P00- + R, quick to catch a misstated Error, but it leans on the
        //    process noise being right (too much learnt wander reads as too little noise, and back);
        //  - residuals after the update: E[residual^2] = R - P00+, nearly free of the process noise but slow
        //    to move away from the R it was given.
        // The larger one is used: neither learnt wander nor learnt noise can talk the other down.
        // Only the measurement's share of the innovation says much about R: when wander dominates
        // (P00 >> R) the estimates are mostly noise, so their weight falls with the square of that share.
        double fromInnovation = (innovation * innovation - priorP00) / baseVarianceNs2;
        double fromResidual = (residual * residual + posteriorP00) / baseVarianceNs2;
        double share = r / s;
        // Early on the running estimate has seen few innovations: average them equally (rate 1/n) until
        // the configured rate takes over, so a badly modelled noise level is learnt in a few samples.
        double rate = Math.Max(_options.NoiseAdaptationRate, 1.0 / Math.Max(2, samplesPastMin + 1)) * share * share;
        _scaleFromInnovations = Math.Clamp((1 - rate) * _scaleFromInnovations + rate * fromInnovation, MinScale, MaxScale);
        _scaleFromResiduals = Math.Clamp((1 - rate) * _scaleFromResiduals + rate * fromResidual, MinScale, MaxScale);
        Scale = Math.Max(_scaleFromInnovations, _scaleFromResiduals);
        // Once the third differences of the samples have measured the noise (model-free, see
        // ThirdDifferenceNoise), that measurement is the scale: the innovations' estimates carry little about R
        // when the wander dominates them, and lean on the wander being right.
        if (_thirdDifferences.ScaleWithMargin(ThirdDifferenceMarginSigmas) is { } measured)
            Scale = Math.Clamp(measured, MinScale, MaxScale);
        // The state was built on readings trusted more than they deserve: a posterior made mostly of readings
        // narrows with their variance, so it is widened by as much as the noise rose (a cross-timestamp whose
        // Error says 1 ns but scatters 18 ns: measured after a few reads, the state kept its 1 ns certainty and
        // the next bound missed; random world 1-299). The next updates narrow it again as far as it deserves.
        return Scale > r / baseVarianceNs2 ? Scale / (r / baseVarianceNs2) : null;
    }

    /// <summary>
    /// A frequency jump first shows as innovations the model cannot explain, which the noise adaptation takes for
    /// noise, until the wander bank moves its weight to a high wander and follows the jump. When the learnt wander
    /// rises tenfold within a few samples, the scale goes back to what it was before: the excess was the jump.
    /// samplesPastMin as for <see cref="Learn"/>.
    /// </summary>
    public void ForgetManoeuvre(double learntWanderS2PerS3, int samplesPastMin)
    {
        // Until the noise has been learnt once (about 1/NoiseAdaptationRate samples) there is nothing to protect:
        // a misstated Error shows as the same kind of rise.
        bool noiseLearnt = _options.NoiseAdaptationRate > 0 && samplesPastMin > 1 / _options.NoiseAdaptationRate;
        if (noiseLearnt && _recentLearnt.Count > 0 && _recentLearnt.Min(r => r.WanderS2PerS3) * ManoeuvreWanderRise < learntWanderS2PerS3)
        {
            var before = _recentLearnt.Peek().NoiseScale;
            if (before < Scale) Restore(before);
            _recentLearnt.Clear();
        }
        _recentLearnt.Enqueue((Scale, learntWanderS2PerS3));
        while (_recentLearnt.Count > ManoeuvreSamples) _recentLearnt.Dequeue();
    }

    private void Set(double scale) => Scale = _scaleFromInnovations = _scaleFromResiduals = scale;
}
