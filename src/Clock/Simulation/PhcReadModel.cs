namespace Sync.Clock.Simulation;

/// <summary>The seeded delay model of a simulated PHC (see <see cref="DelaySettings"/>).</summary>
public sealed class PhcReadModel
{
    private const double LognormalSigma = 1.0;

    private readonly DelaySettings _settings;
    private readonly SimRandom _random;
    private readonly long _originNs;
    private readonly long _burstPeriodNs;
    private readonly long _burstDurationNs;
    private readonly bool _lognormal;
    private readonly double _lognormalMu;

    public PhcReadModel(DelaySettings settings, ulong seed, long originTrueNs)
    {
        var problems = settings.Validate("delay.").ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems), nameof(settings));
        _settings = settings;
        _random = SimRandom.Derive(seed, 0xDE1A);
        _originNs = originTrueNs;
        _burstPeriodNs = (long)(settings.BurstPeriodS * 1e9);
        _burstDurationNs = (long)(settings.BurstDurationS * 1e9);
        _lognormal = settings.JitterDistribution == "lognormal";
        // mean of lognormal = exp(mu + sigma^2 / 2)
        _lognormalMu = settings.JitterNs > 0 ? Math.Log(settings.JitterNs) - LognormalSigma * LognormalSigma / 2 : 0;
    }

    public DelaySettings Settings => _settings;

    public bool InBurstAt(long trueNs) =>
        _burstPeriodNs > 0 && _burstDurationNs > 0 && (trueNs - _originNs) % _burstPeriodNs is var phase && phase >= 0 && phase < _burstDurationNs;

    /// <summary>The timing of a sample that starts at trueNs.</summary>
    public PhcSampleTiming NextSample(long trueNs)
    {
        var inBurst = InBurstAt(trueNs);
        var jitterMean = inBurst ? _settings.BurstJitterNs : _settings.JitterNs;
        double delay = _settings.BaseDelayNs + Jitter(jitterMean, inBurst);
        if (_settings.OutlierProbability > 0 && _random.NextDouble() < _settings.OutlierProbability)
            delay += _random.NextExponential(_settings.OutlierDelayNs);
        var fraction = _settings.AsymmetryFraction;
        if (_settings.AsymmetrySpread > 0)
            fraction = Math.Clamp(fraction + (2 * _random.NextDouble() - 1) * _settings.AsymmetrySpread, 0, 1);
        var delayNs = Math.Max(0, (long)Math.Round(delay));
        return new PhcSampleTiming(delayNs, (long)Math.Round(fraction * delayNs));
    }

    /// <summary>The error of one cross-timestamp's system time, ns.</summary>
    public long NextPreciseErrorNs() =>
        _settings.PreciseErrorNs > 0 ? (long)Math.Round(_random.NextGaussian() * _settings.PreciseErrorNs) : 0;

    private double Jitter(double mean, bool inBurst)
    {
        if (mean <= 0) return 0;
        if (!_lognormal) return _random.NextExponential(mean);
        var mu = inBurst ? Math.Log(mean) - LognormalSigma * LognormalSigma / 2 : _lognormalMu;
        return Math.Exp(mu + LognormalSigma * _random.NextGaussian());
    }
}
