using Sync.Filters.Status;

namespace Sync.Daemon.Hosting;

/// <summary>
/// What the sync loop tells the rest of the daemon (metrics, status socket, systemd STATUS=/READY=, watchdog).
/// The loop raises <see cref="Updated"/> after every tick, including holdover ticks, so the watchdog knows it lives.
/// </summary>
public interface ISyncStatusProvider
{
    SyncSnapshot? Current { get; }
    event Action<SyncSnapshot>? Updated;
}
