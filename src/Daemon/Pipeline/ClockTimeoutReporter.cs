using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Sync.Clock.Abstractions;
using Sync.Daemon.Telemetry;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// Reports reference clocks that stop answering: counts every timed-out reading in
/// virtsync_source_read_timeouts_total (labels path, type, variant like the other source series) and logs the first
/// Timeout of an episode at Warning and the first good reading after it at Information (with how many readings
/// timed out in between), instead of one line per failed reading. Fed by <see cref="SyncLoop.ReadCompleted"/>;
/// the loop's thread is the only caller.
/// </summary>
public sealed partial class ClockTimeoutReporter : IDisposable
{
    private readonly ILogger _log;
    private readonly Meter _meter;
    private readonly Counter<long> _timeouts;
    private readonly Dictionary<IReferenceClock, long> _timeoutsByClock = new(ReferenceEqualityComparer.Instance);

    public ClockTimeoutReporter(ILogger log)
    {
        _log = log;
        _meter = new Meter(MetricNames.MeterName, DaemonVersion.Text);
        _timeouts = _meter.CreateCounter<long>(MetricNames.SourceReadTimeoutsTotal,
            description: "Readings that got no answer within sources:readTimeoutMs (the read is stuck in the driver).");
    }

    /// <summary>Clocks currently in a timeout episode.</summary>
    public int NotAnswering => _timeoutsByClock.Count;

    public void Observe(IReferenceClock clock, ClockError? error)
    {
        if (error is { Kind: ClockErrorKind.Timeout })
        {
            var info = clock.Info;
            _timeouts.Add(1, new KeyValuePair<string, object?>("path", info.Path),
                new KeyValuePair<string, object?>("type", SyncMetrics.TypeLabel(info.Scale)),
                new KeyValuePair<string, object?>("variant", SyncMetrics.VariantLabel(info.Scale)));
            _timeoutsByClock.TryGetValue(clock, out var count);
            if (count == 0)
                LogNotAnswering(info.Path, error.Message);
            _timeoutsByClock[clock] = count + 1;
            return;
        }
        if (error is null && _timeoutsByClock.Remove(clock, out var timedOut))
            LogAnswersAgain(clock.Info.Path, timedOut);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Path} does not answer: {Error}; failing over to the next clock or holding over until it reads again")]
    private partial void LogNotAnswering(string path, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path} reads again after {TimedOut} readings timed out")]
    private partial void LogAnswersAgain(string path, long timedOut);

    public void Dispose() => _meter.Dispose();
}
