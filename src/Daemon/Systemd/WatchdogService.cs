using Microsoft.Extensions.Hosting;
using Sync.Daemon.Hosting;
using Sync.Filters.Status;

namespace Sync.Daemon.Systemd;

/// <summary>
/// WATCHDOG=1 every half WATCHDOG_USEC, but only while the daemon is alive: with a sync loop, the loop must have
/// published a snapshot within the last watchdog interval (startup gets the ready timeout as grace). A stuck loop
/// stops the pings and systemd restarts the service.
/// </summary>
public sealed class WatchdogService : BackgroundService
{
    private readonly SystemdNotifier _notifier;
    private readonly TimeSpan? _interval;
    private readonly TimeProvider _time;
    private readonly ISyncStatusProvider? _provider;
    private readonly TimeSpan _startupGrace;
    private readonly long _startTimestamp;
    private long _lastUpdateTimestamp;
    private bool _updated;

    public WatchdogService(SystemdNotifier notifier, SystemdEnvironment environment, TimeProvider time,
        ISyncStatusProvider? provider = null, TimeSpan? startupGrace = null)
    {
        _notifier = notifier;
        _interval = environment.WatchdogInterval;
        _time = time;
        _provider = provider;
        _startupGrace = startupGrace ?? TimeSpan.Zero;
        _startTimestamp = time.GetTimestamp();
        if (provider is not null) provider.Updated += OnUpdated;
    }

    public TimeSpan? PingPeriod => _interval / 2;
    public long Pings { get; private set; }

    public bool IsHealthy()
    {
        if (_provider is null || _interval is not { } interval) return true;
        if (!Volatile.Read(ref _updated)) return _time.GetElapsedTime(_startTimestamp) < TimeSpan.FromTicks(Math.Max(interval.Ticks, _startupGrace.Ticks));
        return _time.GetElapsedTime(Interlocked.Read(ref _lastUpdateTimestamp)) < interval;
    }

    /// <summary>One watchdog decision: ping if healthy. Returns whether a ping was sent.</summary>
    public bool Tick()
    {
        if (!IsHealthy()) return false;
        if (!_notifier.Watchdog()) return false;
        Pings++;
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (PingPeriod is not { } period || period <= TimeSpan.Zero || !_notifier.IsEnabled) return;
        using var timer = new PeriodicTimer(period, _time);
        Tick();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false)) Tick();
        }
        catch (OperationCanceledException) { }
    }

    private void OnUpdated(SyncSnapshot _)
    {
        Interlocked.Exchange(ref _lastUpdateTimestamp, _time.GetTimestamp());
        Volatile.Write(ref _updated, true);
    }

    public override void Dispose()
    {
        if (_provider is not null) _provider.Updated -= OnUpdated;
        base.Dispose();
    }
}
