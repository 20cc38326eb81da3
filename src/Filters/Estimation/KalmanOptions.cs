using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>Tuning of <see cref="KalmanEstimator"/> (ntpd-rs style, state = offset and frequency). Defaults here.</summary>
public sealed record KalmanOptions
{
    /// <summary>Random-walk frequency noise (frequency wander): learnt from the samples between a floor and a ceiling
    /// by default (<see cref="WanderOptions"/>: 1e-21..1e-12 s^2/s^3), or one fixed level
    /// (<see cref="WanderOptions.Fixed"/>).</summary>
    public WanderOptions Wander { get; init; } = new();

    /// <summary>White frequency noise (random-walk phase) in s^2/s. Default 1e-22 (1e-4 ns^2/s): nearly nothing.</summary>
    public double PhaseDiffusionS2PerS { get; init; } = 1e-22;

    /// <summary>Measurement standard deviation per unit of a sample's Error. Default 1/sqrt(3): Error is a half-width
    /// and the truth is taken as uniform inside it. The filter rescales this from its innovations.</summary>
    public double MeasurementSigmaPerError { get; init; } = 0.57735026918962573;

    /// <summary>Extra measurement standard deviation per unit of a sample's Delay (when Error does not already hold
    /// the delay). Default 0.</summary>
    public double MeasurementSigmaPerDelay { get; init; } = 0;

    /// <summary>Smallest measurement standard deviation. Default 1 ns.</summary>
    public Duration MeasurementSigmaFloor { get; init; } = Duration.FromNanoseconds(1);

    /// <summary>Standard deviation of the frequency before the first two samples. Default 100 ppm.</summary>
    public double InitialFrequencySdPpm { get; init; } = 100;

    /// <summary>Weight of one sample in the running estimate of the measurement-noise scale (innovation based).
    /// Default 1/64; 0 turns adaptation off.</summary>
    public double NoiseAdaptationRate { get; init; } = 1.0 / 64;

    /// <summary>Samples needed before an estimate is given. Default 3.</summary>
    public int MinSamples { get; init; } = 3;

    /// <summary>ErrorBound = this x the offset standard deviation (+ SystematicError). Default 3.5 (two-sided
    /// 99.95 % for a Gaussian error; target is 99.9 % with margin).</summary>
    public double BoundSigmas { get; init; } = 3.5;

    /// <summary>
    /// How much steeper than seen (ppb/s, ns/s^2) the holdover bound assumes the frequency drift may become: a drift that
    /// steepens during an outage (the history near a thermal cycle's extremum, or shorter than the cycle) cannot be
    /// known from the past, so beyond <see cref="HoldoverAfterIntervals"/> read intervals without a sample the bound
    /// covers D (t - that)^2 / 2 in quadrature with what the drift seen gathers (<see cref="FrequencyDrift"/>).
    /// Default 1 ppb/s (3.6 ppm an hour: a server's oscillator in a room whose temperature moves a degree every few
    /// minutes); 0 trusts the seen drift alone.
    /// </summary>
    public double HoldoverDriftPpbPerS { get; init; } = 1.0;

    /// <summary>Read intervals (the median of the recent spacing of samples) without a sample before
    /// <see cref="HoldoverDriftPpbPerS"/> applies: a late read is no holdover. Default 1.5.</summary>
    public double HoldoverAfterIntervals { get; init; } = 1.5;

    /// <summary>Error no averaging removes, added linearly to the bound. Default 0.</summary>
    public Duration SystematicError { get; init; } = Duration.Zero;

    /// <summary>After a detected discontinuity, re-initialise from the deviating samples. Default true.</summary>
    public bool ResetOnDiscontinuity { get; init; } = true;

    /// <summary>Slack k of the drift CUSUM on normalised innovations (see <see cref="DriftCusum"/>). Default 1 sigma.</summary>
    public double DriftSlackSigmas { get; init; } = 1.0;

    /// <summary>Threshold h of the drift CUSUM: past it, and when the innovations of the run grow along a significant
    /// line, the reference's rate changed although each sample was inside the outlier gate; the line is folded into
    /// offset and frequency (no reset, no step). Default 5 sigma (false alarm about once in 38000 Gaussian samples);
    /// 0 turns drift detection off.</summary>
    public double DriftThresholdSigmas { get; init; } = 5.0;

    /// <summary>A step or a rate change shown by two deviating samples in a row (<see cref="ChangeDetector.ChangeInRun"/>:
    /// the pair agrees on one offset, or grows along a line from zero) is followed at the second: the step or the line
    /// is folded into the state, without waiting for <see cref="ChangeDetectorOptions.ConsecutiveSamples"/> and
    /// without a reset (frequency, wander and noise carry over). At slow reads this is one read and one correction
    /// sooner: the first read shows a change, the second what it is. Default true.</summary>
    public bool FollowChangeAtSecondSample { get; init; } = true;

    /// <summary>Outlier rejection (ThresholdSigmas on the innovation, default 5) and discontinuity detection.</summary>
    public ChangeDetectorOptions Detector { get; init; } = new();

    public void Validate()
    {
        if (Wander is null) throw new ArgumentException($"{nameof(Wander)} must be set (default: learnt, 1e-21..1e-12 s^2/s^3)");
        Wander.Validate();
        if (!(PhaseDiffusionS2PerS >= 0)) throw new ArgumentException($"{nameof(PhaseDiffusionS2PerS)} must be >= 0");
        if (!(MeasurementSigmaPerError > 0)) throw new ArgumentException($"{nameof(MeasurementSigmaPerError)} must be > 0");
        if (!(MeasurementSigmaPerDelay >= 0)) throw new ArgumentException($"{nameof(MeasurementSigmaPerDelay)} must be >= 0");
        if (MeasurementSigmaFloor.Nanoseconds <= 0) throw new ArgumentException($"{nameof(MeasurementSigmaFloor)} must be positive");
        if (!(InitialFrequencySdPpm > 0)) throw new ArgumentException($"{nameof(InitialFrequencySdPpm)} must be > 0");
        if (!(NoiseAdaptationRate >= 0 && NoiseAdaptationRate < 1)) throw new ArgumentException($"{nameof(NoiseAdaptationRate)} must be in [0, 1)");
        if (MinSamples < 2) throw new ArgumentException($"{nameof(MinSamples)} must be >= 2");
        if (!(BoundSigmas >= 1)) throw new ArgumentException($"{nameof(BoundSigmas)} must be >= 1");
        if (!(HoldoverDriftPpbPerS >= 0) || double.IsInfinity(HoldoverDriftPpbPerS)) throw new ArgumentException($"{nameof(HoldoverDriftPpbPerS)} must be a finite number >= 0");
        if (!(HoldoverAfterIntervals >= 1) || double.IsInfinity(HoldoverAfterIntervals)) throw new ArgumentException($"{nameof(HoldoverAfterIntervals)} must be a finite number >= 1");
        if (SystematicError.Nanoseconds < 0) throw new ArgumentException($"{nameof(SystematicError)} must be >= 0");
        if (!(DriftSlackSigmas >= 0)) throw new ArgumentException($"{nameof(DriftSlackSigmas)} must be >= 0");
        if (!(DriftThresholdSigmas == 0 || DriftThresholdSigmas >= 2)) throw new ArgumentException($"{nameof(DriftThresholdSigmas)} must be 0 (off) or >= 2");
        Detector.Validate();
    }
}
