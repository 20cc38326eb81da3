using Sync.Clock.Linux;
using Sync.Filters.Engine;
namespace Sync.Daemon.Configuration;

/// <summary>Which clocks `sync` reads and how (section "sources").</summary>
public sealed record SourcesOptions
{
    /// <summary>Clock selectors; empty = every virtio-rtc PTP clock found in /sys/class/ptp.</summary>
    public IReadOnlyList<ClockSelector> Clocks { get; init; } = ConfigKeys.Sources.Clocks.Default;
    public double ReadIntervalSeconds { get; init; } = ConfigKeys.Sources.ReadIntervalSeconds.Default;
    public int SamplesPerReading { get; init; } = ConfigKeys.Sources.SamplesPerReading.Default;

    /// <summary>How long one reading may take before the clock counts as not answering (ClockErrorKind.Timeout).</summary>
    public int ReadTimeoutMs { get; init; } = ConfigKeys.Sources.ReadTimeoutMs.Default;
    public int ReadRetries { get; init; } = ConfigKeys.Sources.ReadRetries.Default;
    public double CircuitBreakSeconds { get; init; } = ConfigKeys.Sources.CircuitBreakSeconds.Default;
    public double ReattachIntervalSeconds { get; init; } = ConfigKeys.Sources.ReattachIntervalSeconds.Default;
    public SampleFilterKind Filter { get; init; } = ConfigKeys.Sources.Filter.Default;
    public EstimatorKind Estimator { get; init; } = ConfigKeys.Sources.Estimator.Default;

    /// <summary>Read every clock each step and combine them (else the first clock that answers is read).</summary>
    public bool Combine { get; init; } = ConfigKeys.Sources.Combine.Default;

    /// <summary>Fixed per-clock calibrations (sources:calibration).</summary>
    public IReadOnlyList<ClockCalibration> Calibration { get; init; } = ConfigKeys.Sources.Calibration.Default;

    /// <summary>The delay test: a window more than this many times the typical one is a stalled read (0 = off).</summary>
    public double StalledWindowRatio { get; init; } = ConfigKeys.Sources.StalledWindowRatio.Default;

    /// <summary>Stalled reads in a row after which the path is taken to have changed.</summary>
    public int StalledRunLimit { get; init; } = ConfigKeys.Sources.StalledRunLimit.Default;

    /// <summary>The drift (ppb/s) the holdover bound assumes at least (sources:holdoverDriftPpbPerS).</summary>
    public double HoldoverDriftPpbPerS { get; init; } = ConfigKeys.Sources.HoldoverDriftPpbPerS.Default;

    /// <summary>The leap-second table (IETF leap-seconds.list format); the embedded copy is used when it is missing or bad.</summary>
    public string LeapSecondsFile { get; init; } = ConfigKeys.Sources.LeapSecondsFile.Default;
}

/// <summary>How one reading's samples are reduced: chrony's delay band, or phc2sys's fastest sample.</summary>
public enum SampleFilterKind { DelayBand, Fastest, DelayCorrected }
