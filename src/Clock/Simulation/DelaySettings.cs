namespace Sync.Clock.Simulation;

/// <summary>
/// How long one PHC sample takes and where inside it the device is read. delay = base + jitter (+ outlier);
/// jitter is drawn from an exponential (or lognormal) distribution with mean JitterNs, or BurstJitterNs during
/// bursts ([k x BurstPeriodS, k x BurstPeriodS + BurstDurationS)). The device is read at
/// AsymmetryFraction (+- uniform AsymmetrySpread) of the way from system-before to system-after: 0.5 = midpoint.
/// In precise (cross-timestamp) mode the triple has no delay and the system time carries a gaussian error of
/// PreciseErrorNs (1 sigma); the ioctl still takes BaseDelayNs of simulated time.
/// </summary>
public sealed record DelaySettings
{
    public double BaseDelayNs { get; set; } = 1000;
    public double JitterNs { get; set; } = 100;
    /// <summary>"exponential" or "lognormal" (sigma 1, mean JitterNs).</summary>
    public string JitterDistribution { get; set; } = "exponential";
    public double BurstPeriodS { get; set; }
    public double BurstDurationS { get; set; }
    public double BurstJitterNs { get; set; }
    public double AsymmetryFraction { get; set; } = 0.5;
    public double AsymmetrySpread { get; set; }
    public double OutlierProbability { get; set; }
    public double OutlierDelayNs { get; set; }
    public double PreciseErrorNs { get; set; } = 2;

    /// <summary>Problems with these settings, each naming the field; empty when valid.</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        if (!(BaseDelayNs >= 0) || !double.IsFinite(BaseDelayNs)) yield return $"{prefix}base_delay_ns must be a finite number >= 0";
        if (!(JitterNs >= 0) || !double.IsFinite(JitterNs)) yield return $"{prefix}jitter_ns must be a finite number >= 0";
        if (JitterDistribution is not ("exponential" or "lognormal")) yield return $"{prefix}jitter_distribution must be \"exponential\" or \"lognormal\", not \"{JitterDistribution}\"{Scenario.DidYouMean(JitterDistribution, ["exponential", "lognormal"])}";
        if (!(BurstPeriodS >= 0) || !double.IsFinite(BurstPeriodS)) yield return $"{prefix}burst_period_s must be >= 0 (0 = no bursts)";
        if (!(BurstDurationS >= 0) || BurstDurationS > BurstPeriodS && BurstPeriodS > 0) yield return $"{prefix}burst_duration_s must be in [0, burst_period_s]";
        if (!(BurstJitterNs >= 0) || !double.IsFinite(BurstJitterNs)) yield return $"{prefix}burst_jitter_ns must be a finite number >= 0";
        if (!(AsymmetryFraction >= 0 && AsymmetryFraction <= 1)) yield return $"{prefix}asymmetry_fraction must be in [0, 1]";
        if (!(AsymmetrySpread >= 0 && AsymmetrySpread <= 1)) yield return $"{prefix}asymmetry_spread must be in [0, 1]";
        if (!(OutlierProbability >= 0 && OutlierProbability <= 1)) yield return $"{prefix}outlier_probability must be in [0, 1]";
        if (!(OutlierDelayNs >= 0) || !double.IsFinite(OutlierDelayNs)) yield return $"{prefix}outlier_delay_ns must be a finite number >= 0";
        if (!(PreciseErrorNs >= 0) || !double.IsFinite(PreciseErrorNs)) yield return $"{prefix}precise_error_ns must be a finite number >= 0";
    }
}
