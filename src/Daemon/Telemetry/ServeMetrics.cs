using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Sync.Daemon.Telemetry;

/// <summary>
/// What the vhost-user device reports while serving: one call per request, connection open/close, alarms fired.
/// Thread-safe and allocation-light; label values outside a small known set collapse to "other".
/// </summary>
public sealed class ServeMetrics : IDisposable
{
    /// <summary>Service-time buckets in seconds, 1 us .. 10 ms (a READ under KVM takes microseconds).</summary>
    public static readonly IReadOnlyList<double> DurationBucketsSeconds =
        [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2];

    private const int MaxDistinctLabelValues = 64;
    private const int MaxLabelLength = 40;

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _alarms;
    private long _refused;
    private readonly ConcurrentDictionary<string, byte> _seenLabels = new(StringComparer.Ordinal);

    public ServeMetrics()
    {
        _meter = new Meter(MetricNames.MeterName, DaemonVersion.Text);
        _requests = _meter.CreateCounter<long>(MetricNames.ServeRequestsTotal, description: "Requests answered, by message type and status.");
        _duration = _meter.CreateHistogram(MetricNames.ServeRequestDurationSeconds, "s", "Time from reading a request to posting its response.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBucketsSeconds });
        _connections = _meter.CreateUpDownCounter<long>(MetricNames.ServeConnections, description: "Open vhost-user connections.");
        _alarms = _meter.CreateCounter<long>(MetricNames.ServeAlarmsFiredTotal, description: "Alarm notifications sent to guests.");
        // Observed, not added: the series is exported (as 0) from the first scrape, so rate() and alerts see it before
        // the first refusal, however early this object was built (an Add before the exporter listens is lost).
        _meter.CreateObservableCounter(MetricNames.ServeConnectionsRefusedTotal, () => Interlocked.Read(ref _refused),
            description: "Front ends closed at once because serve:maxConnections connections were open.");
    }

    /// <summary>msgType e.g. "read", "read_cross", "clock_cap"; status e.g. "ok", "eopnotsupp", "enodev", "einval"
    /// (VirtioRtcNames.RequestLabel / StatusLabel).</summary>
    public void RecordRequest(string msgType, string status, double seconds)
    {
        var type = new KeyValuePair<string, object?>("type", Label(msgType));
        var result = new KeyValuePair<string, object?>("status", Label(status));
        _requests.Add(1, type, result);
        if (double.IsFinite(seconds) && seconds >= 0) _duration.Record(seconds, type, result);
    }

    public void ConnectionOpened() => _connections.Add(1);
    public void ConnectionClosed() => _connections.Add(-1);
    public void ConnectionRefused() => Interlocked.Increment(ref _refused);
    public void AlarmFired(string clock) => _alarms.Add(1, new KeyValuePair<string, object?>("clock", Label(clock)));

    private string Label(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLabelLength) return "other";
        if (_seenLabels.ContainsKey(value)) return value;
        if (_seenLabels.Count >= MaxDistinctLabelValues) return "other";
        _seenLabels.TryAdd(value, 0);
        return value;
    }

    public void Dispose() => _meter.Dispose();
}
