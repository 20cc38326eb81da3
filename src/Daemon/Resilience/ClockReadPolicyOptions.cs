using Sync.Daemon.Configuration;

namespace Sync.Daemon.Resilience;

/// <summary>
/// Tuning of the read guard (<see cref="ClockGuard"/>), from the sources:read* keys. Reads happen every 250 ms, so retries are short: 2 retries after
/// ~2 ms and ~4 ms (exponential with jitter, at most 20 ms) fit well inside one read interval.
/// </summary>
public sealed record ClockReadPolicyOptions
{
    public int MaxRetryAttempts { get; init; } = ConfigKeys.Sources.ReadRetries.Default;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(2);
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The circuit opens when at least this many readings (after retries) failed within
    /// <see cref="SamplingDuration"/> and none succeeded there (Polly failure ratio 1.0): 4 readings = 1 s at 4 Hz.
    /// </summary>
    public int FailuresToOpenCircuit { get; init; } = 4;
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an open circuit rejects reads before one probe (half-open) is let through.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(ConfigKeys.Sources.CircuitBreakSeconds.Default);

    /// <summary>After DeviceGone: how often <see cref="ResilientReferenceClock"/> tries to find the clock again.</summary>
    public TimeSpan ReattachInterval { get; init; } = TimeSpan.FromSeconds(ConfigKeys.Sources.ReattachIntervalSeconds.Default);

    /// <summary>Longest wait for one reading (<see cref="TimeBoundedReferenceClock"/>); then the clock counts as not answering.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromMilliseconds(ConfigKeys.Sources.ReadTimeoutMs.Default);
}
