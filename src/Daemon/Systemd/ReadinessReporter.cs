using Microsoft.Extensions.Hosting;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Filters.Status;

namespace Sync.Daemon.Systemd;

/// <summary>
/// Tells systemd READY=1 once the engine has its first estimate (a snapshot with an offset: any startup step it
/// commands is applied by then; a source's raw sample alone is not enough: the lab's systemd scenario saw READY=1,
/// and with it time-sync.target, 0.57 s before a 2.7 s startup step),
/// or after systemd:readyTimeoutSeconds without one; then keeps STATUS= current, at most once per
/// systemd:statusIntervalSeconds. Works without systemd too (the notifier then does nothing).
/// </summary>
public sealed class ReadinessReporter : IHostedService, IDisposable
{
    private readonly ISyncStatusProvider _provider;
    private readonly SystemdNotifier _notifier;
    private readonly TimeProvider _time;
    private readonly TimeSpan _readyTimeout;
    private readonly TimeSpan _statusInterval;
    private readonly Lock _gate = new();
    private ITimer? _timeoutTimer;
    private long _lastStatusTimestamp;
    private bool _statusSentOnce;

    public ReadinessReporter(ISyncStatusProvider provider, SystemdNotifier notifier, TimeProvider time, SystemdOptions options)
    {
        _provider = provider;
        _notifier = notifier;
        _time = time;
        _readyTimeout = TimeSpan.FromSeconds(options.ReadyTimeoutSeconds);
        _statusInterval = TimeSpan.FromSeconds(options.StatusIntervalSeconds);
    }

    /// <summary>Why READY=1 was sent: "sample", "timeout", or null before.</summary>
    public string? ReadyReason { get; private set; }

    public static bool IsGood(SyncSnapshot s) => s.LastOffset is not null;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _provider.Updated += OnUpdated;
        if (_provider.Current is { } current) OnUpdated(current);
        if (ReadyReason is null)
        {
            if (_readyTimeout <= TimeSpan.Zero) OnTimeout(null);
            else _timeoutTimer = _time.CreateTimer(OnTimeout, null, _readyTimeout, Timeout.InfiniteTimeSpan);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _provider.Updated -= OnUpdated;
        _timeoutTimer?.Dispose();
        _notifier.Stopping();
        return Task.CompletedTask;
    }

    private void OnTimeout(object? _)
    {
        lock (_gate)
        {
            if (ReadyReason is not null) return;
            ReadyReason = "timeout";
            _notifier.Ready($"no good sample after {_readyTimeout.TotalSeconds:0.#} s: still trying");
        }
    }

    private void OnUpdated(SyncSnapshot snapshot)
    {
        lock (_gate)
        {
            if (ReadyReason is null)
            {
                if (!IsGood(snapshot)) return;
                ReadyReason = "sample";
                _timeoutTimer?.Dispose();
                _notifier.Ready(StatusLine.For(snapshot));
                MarkStatus();
                return;
            }
            if (_statusSentOnce && _time.GetElapsedTime(_lastStatusTimestamp) < _statusInterval) return;
            _notifier.Status(StatusLine.For(snapshot));
            MarkStatus();
        }
    }

    private void MarkStatus()
    {
        _lastStatusTimestamp = _time.GetTimestamp();
        _statusSentOnce = true;
    }

    public void Dispose() => _timeoutTimer?.Dispose();
}
