using Sync.Clock.Abstractions;
using Sync.Daemon.Configuration;

namespace Sync.Daemon.Resilience;

/// <summary>
/// The one guard for a reference clock that does not answer, composed here and nowhere else (all of it in this
/// folder, configured by the sources:read* keys):
/// <list type="number">
/// <item><see cref="TimeBoundedReferenceClock"/> (outermost): a read stuck in the driver ends after sources:readTimeoutMs
/// with a Timeout error, and the clock is skipped at once while it stays stuck;</item>
/// <item><see cref="ResilientReferenceClock"/>: a device that is gone is closed and looked for again every
/// sources:reattachIntervalSeconds;</item>
/// <item><see cref="ClockReadPolicy{T}"/>: transient errors retried sources:readRetries times; a clock that keeps
/// failing is skipped for sources:circuitBreakSeconds.</item>
/// </list>
/// What to do about a clock that does not answer (read the next one, hold over) is the core's decision:
/// <see cref="Filters.Selection.SourceFailover"/> (executed by the sync loop, which maps the clock's errors with
/// <see cref="Pipeline.SyncLoop.OutcomeOf"/>) and the engine's holdover.
/// </summary>
public static class ClockGuard
{
    /// <summary>The guard's tuning from the sources section.</summary>
    public static ClockReadPolicyOptions Options(SourcesOptions sources) => new()
    {
        MaxRetryAttempts = sources.ReadRetries,
        BreakDuration = TimeSpan.FromSeconds(sources.CircuitBreakSeconds),
        ReattachInterval = TimeSpan.FromSeconds(sources.ReattachIntervalSeconds),
        ReadTimeout = TimeSpan.FromMilliseconds(sources.ReadTimeoutMs),
    };

    /// <summary>
    /// A guarded clock: <paramref name="open"/> opens (and, after the device was gone, reopens) the real clock;
    /// <paramref name="expected"/> names it until it has been opened.
    /// </summary>
    public static TimeBoundedReferenceClock Guard(ReferenceClockInfo expected, Func<ClockResult<IReferenceClock>> open,
        ClockReadPolicyOptions options, TimeProvider time) =>
        new(new ResilientReferenceClock(expected, open, options, time), options.ReadTimeout, time);
}
