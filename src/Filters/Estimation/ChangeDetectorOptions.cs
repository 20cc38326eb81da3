namespace Sync.Filters.Estimation;

/// <summary>Tuning of the step / frequency-jump detector. Every default is documented where it is set.</summary>
public sealed record ChangeDetectorOptions
{
    /// <summary>A sample is an outlier when |sample - prediction| exceeds this many predicted standard deviations
    /// (prediction uncertainty and measurement noise combined). Default 5 (ntpd-rs rejects at 5 sigma); under
    /// Gaussian noise one sample in 1.7 million crosses it.</summary>
    public double ThresholdSigmas { get; init; } = 5.0;

    /// <summary>Consecutive outliers of the same sign that make a discontinuity. Default 3.</summary>
    public int ConsecutiveSamples { get; init; } = 3;

    /// <summary>Consecutive outliers of any sign that make an Unclassified discontinuity (the noise is far above the
    /// model). Default 8.</summary>
    public int ConsecutiveMixedSamples { get; init; } = 8;

    /// <summary>A run counts as a frequency jump when extrapolating its deviations back to zero lands no further
    /// before the first deviating sample than this many sample intervals. Default 1.5.</summary>
    public double FrequencyJumpOnsetIntervals { get; init; } = 1.5;

    public void Validate()
    {
        if (!(ThresholdSigmas >= 2 && ThresholdSigmas <= 100))
            throw new ArgumentException($"{nameof(ThresholdSigmas)} must be in [2, 100] (got {ThresholdSigmas}); 5 is the usual value");
        if (ConsecutiveSamples < 1 || ConsecutiveSamples > 64)
            throw new ArgumentException($"{nameof(ConsecutiveSamples)} must be in [1, 64] (got {ConsecutiveSamples})");
        if (ConsecutiveMixedSamples < ConsecutiveSamples)
            throw new ArgumentException($"{nameof(ConsecutiveMixedSamples)} must be >= {nameof(ConsecutiveSamples)}");
        if (!(FrequencyJumpOnsetIntervals >= 0))
            throw new ArgumentException($"{nameof(FrequencyJumpOnsetIntervals)} must be >= 0");
    }
}
