using Sync.Filters.Engine;
namespace Sync.Daemon.Configuration;

/// <summary>Which clocks `sync` reads and how (section "sources").</summary>
public sealed record SourcesOptions
{
    public const double DefaultReadIntervalSeconds = 0.25;
    public const double MinReadIntervalSeconds = 0.01;
    public const double MaxReadIntervalSeconds = 3600;

    /// <summary>
    /// 9 samples per reading: at 4 readings/s that is 36 samples/s per clock (more than chrony's 25/s at dpoll 0)
    /// while one reading stays short (9 device round trips, ~1-3 ms under TCG), so the host device is not
    /// loaded and frequency wander within one reading is negligible. 25 (the kernel maximum) is allowed.
    /// </summary>
    public const int DefaultSamplesPerReading = 9;
    public const int MinSamplesPerReading = 1;
    public const int MaxSamplesPerReading = 25;

    /// <summary>
    /// How long one reading may take before the clock counts as not answering (ClockErrorKind.Timeout): a normal
    /// reading takes 1-3 ms, a virtio-rtc read blocks indefinitely while the host's vhost-user back end is dead.
    /// 2 s leaves a slow but live device alone and still lets the loop hold over / fail over within a few readings.
    /// </summary>
    public const int DefaultReadTimeoutMs = 2000;
    public const int MinReadTimeoutMs = 10;
    public const int MaxReadTimeoutMs = 60_000;

    /// <summary>Clock selectors; empty = every virtio-rtc PTP clock found in /sys/class/ptp.</summary>
    public IReadOnlyList<ClockSelector> Clocks { get; init; } = [];
    public double ReadIntervalSeconds { get; init; } = DefaultReadIntervalSeconds;
    public int SamplesPerReading { get; init; } = DefaultSamplesPerReading;
    public int ReadTimeoutMs { get; init; } = DefaultReadTimeoutMs;
    public SampleFilterKind Filter { get; init; } = SampleFilterKind.DelayBand;
    public EstimatorKind Estimator { get; init; } = EstimatorKind.Kalman;

    public const string DefaultLeapSecondsFile = "/usr/share/zoneinfo/leap-seconds.list";

    /// <summary>The leap-second table (IETF leap-seconds.list format); the embedded copy is used when it is missing or bad.</summary>
    public string LeapSecondsFile { get; init; } = DefaultLeapSecondsFile;
}

/// <summary>How one reading's samples are reduced: chrony's delay band, or phc2sys's fastest sample.</summary>
public enum SampleFilterKind { DelayBand, Fastest }
