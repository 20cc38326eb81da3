using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>Tuning of <see cref="RegressionEstimator"/> (chrony sourcestats style). Defaults documented here.</summary>
public sealed record RegressionOptions
{
    /// <summary>Most samples kept for the fit. Default 64 (chrony's MAX_SAMPLES).</summary>
    public int MaxSamples { get; init; } = 64;

    /// <summary>Samples needed before an estimate is given and the fewest the runs test may leave. Default 3
    /// (chrony's MIN_SAMPLES_FOR_REGRESS).</summary>
    public int MinSamples { get; init; } = 3;

    /// <summary>Significance of the runs test on the residual signs: old samples are dropped while the chance of so
    /// few runs under random residuals is below this. Default 0.05 (chrony).</summary>
    public double RunsTestSignificance { get; init; } = 0.05;

    /// <summary>Smallest per-sample error used for weighting (weights are 1/error^2). Default 1 ns.</summary>
    public Duration ErrorFloor { get; init; } = Duration.FromNanoseconds(1);

    /// <summary>Random-walk frequency noise used only to widen the bound in holdover (time since the newest sample),
    /// in s^2/s^3. Default 1e-18 (a good VM oscillator: ~0.6 ns after 1 s... ~18 us after an hour).</summary>
    public double FrequencyWanderS2PerS3 { get; init; } = 1e-18;

    /// <summary>Two-sided probability the ErrorBound covers, before Student t widening. Default 0.9995
    /// (3.48 sigma for a large window; the target is 99.9 % coverage with margin).</summary>
    public double BoundCoverage { get; init; } = 0.9995;

    /// <summary>Error no averaging removes (e.g. the reference's own uncertainty), added linearly to the bound.
    /// Default 0: cross-timestamps have no path asymmetry the fit could not see.</summary>
    public Duration SystematicError { get; init; } = Duration.Zero;

    /// <summary>Fewest samples before the change detector judges new samples. Default 10 (the residual scale of
    /// fewer samples is too uncertain to call anything 5 sigma).</summary>
    public int MinSamplesForDetection { get; init; } = 10;

    /// <summary>After a detected discontinuity, forget the history and restart from the deviating samples.
    /// Default true, so callers that only use <see cref="IClockEstimator"/> recover on their own.</summary>
    public bool ResetOnDiscontinuity { get; init; } = true;

    public ChangeDetectorOptions Detector { get; init; } = new();

    public void Validate()
    {
        if (MinSamples < 3) throw new ArgumentException($"{nameof(MinSamples)} must be >= 3 (got {MinSamples})");
        if (MaxSamples < MinSamples || MaxSamples > 4096)
            throw new ArgumentException($"{nameof(MaxSamples)} must be in [{nameof(MinSamples)}, 4096] (got {MaxSamples})");
        if (!(RunsTestSignificance > 0 && RunsTestSignificance < 0.5))
            throw new ArgumentException($"{nameof(RunsTestSignificance)} must be in (0, 0.5) (got {RunsTestSignificance}); 0.05 is chrony's");
        if (ErrorFloor.Nanoseconds <= 0) throw new ArgumentException($"{nameof(ErrorFloor)} must be positive");
        if (!(FrequencyWanderS2PerS3 >= 0)) throw new ArgumentException($"{nameof(FrequencyWanderS2PerS3)} must be >= 0");
        if (!(BoundCoverage > 0.5 && BoundCoverage < 1)) throw new ArgumentException($"{nameof(BoundCoverage)} must be in (0.5, 1)");
        if (SystematicError.Nanoseconds < 0) throw new ArgumentException($"{nameof(SystematicError)} must be >= 0");
        if (MinSamplesForDetection < MinSamples) throw new ArgumentException($"{nameof(MinSamplesForDetection)} must be >= {nameof(MinSamples)}");
        Detector.Validate();
    }
}
