namespace Sync.Daemon.Simulation;

/// <summary>
/// The documented ranges random worlds are drawn from (docs/scenarios.md, "Random worlds"): realistic for a VM
/// reading a virtio-rtc clock, and deliberately wider than the built-in scenarios so nothing can be tuned to them.
/// "log" ranges are drawn log-uniformly, the others uniformly.
/// </summary>
public sealed record WorldRanges
{
    /// <summary>Chance that a world reads with cross-timestamps (precise); the rest read bracketed (extended).</summary>
    public double PreciseProbability { get; init; } = 0.3;
    /// <summary>Precise mode: 1 sigma error of the cross-timestamp, ns (log).</summary>
    public (double Min, double Max) PreciseErrorNs { get; init; } = (1, 20);
    /// <summary>Extended mode: samples per reading (uniform integer).</summary>
    public (int Min, int Max) SamplesPerReading { get; init; } = (3, 25);
    /// <summary>Fixed part of each sample's round trip, ns (log): 0.3-200 us.</summary>
    public (double Min, double Max) BaseDelayNs { get; init; } = (300, 200_000);
    /// <summary>Mean jitter as a fraction of the base delay (log).</summary>
    public (double Min, double Max) JitterFractionOfBase { get; init; } = (0.01, 1);
    /// <summary>Chance of lognormal (heavy-tailed) rather than exponential jitter.</summary>
    public double LognormalProbability { get; init; } = 0.5;
    /// <summary>Chance of jitter bursts; their period (s, log), duration (s, uniform, at most half the period) and
    /// jitter as a multiple of the normal jitter (log).</summary>
    public double BurstProbability { get; init; } = 0.5;
    public (double Min, double Max) BurstPeriodS { get; init; } = (60, 1800);
    public (double Min, double Max) BurstDurationS { get; init; } = (5, 60);
    public (double Min, double Max) BurstJitterFactor { get; init; } = (2, 20);
    /// <summary>Chance that the device is read exactly at the round trip's midpoint; otherwise 0.5 +- up to this.</summary>
    public double SymmetricProbability { get; init; } = 0.3;
    public double MaxReadPointOffset { get; init; } = 0.1;
    /// <summary>Per-sample uniform spread of the read point (uniform).</summary>
    public (double Min, double Max) ReadPointSpread { get; init; } = (0, 0.1);
    /// <summary>Chance of outliers; their probability per sample (log) and mean extra delay as a multiple of the base delay + jitter (log).</summary>
    public double OutlierWorldProbability { get; init; } = 0.5;
    public (double Min, double Max) OutlierProbability { get; init; } = (1e-4, 1e-2);
    public (double Min, double Max) OutlierDelayFactor { get; init; } = (2, 50);
    /// <summary>Oscillator: constant frequency error, ppm (uniform +-).</summary>
    public double MaxOffsetPpm { get; init; } = 100;
    /// <summary>Random-walk frequency noise, ppm/sqrt(s) (log).</summary>
    public (double Min, double Max) WanderPpmPerSqrtS { get; init; } = (1e-4, 1e-2);
    /// <summary>Periodic terms: how many (uniform integer), amplitude ppm (uniform), period s (log), phase (uniform).</summary>
    public (int Min, int Max) PeriodicTerms { get; init; } = (0, 2);
    public (double Min, double Max) PeriodicAmplitudePpm { get; init; } = (0, 1);
    public (double Min, double Max) PeriodicPeriodS { get; init; } = (120, 7200);
    /// <summary>Time between readings, s (log).</summary>
    public (double Min, double Max) ReadIntervalS { get; init; } = (0.1, 64);
    /// <summary>Guest clock minus true time at the start, ms (uniform +-).</summary>
    public double MaxInitialOffsetMs { get; init; } = 100;
    /// <summary>Events per world (uniform integer), each one of: served step, served rate change, outage, migration.</summary>
    public (int Min, int Max) Events { get; init; } = (0, 3);
    /// <summary>Served clock step, ms (log, random sign).</summary>
    public (double Min, double Max) ServedStepMs { get; init; } = (0.01, 100);
    /// <summary>Served clock rate change, ppm (log, random sign).</summary>
    public (double Min, double Max) ServedRatePpm { get; init; } = (0.1, 50);
    /// <summary>Outage (device removed), s (log).</summary>
    public (double Min, double Max) OutageS { get; init; } = (10, 1800);
    /// <summary>Migration: guest clock step, ms (log, random sign) with a frequency jump, ppm (log, random sign).</summary>
    public (double Min, double Max) MigrationStepMs { get; init; } = (1, 500);
    public (double Min, double Max) MigrationFreqPpm { get; init; } = (0.1, 50);
    /// <summary>Run length: this many reads, within [min, max] seconds, plus room for the events.</summary>
    public int ReadsPerRun { get; init; } = 1500;
    public (double Min, double Max) DurationS { get; init; } = (1800, 4 * 3600);

    public static WorldRanges Default { get; } = new();
}
