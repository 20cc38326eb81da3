using Sync.Filters.Status;

namespace Sync.Daemon.Hosting;

/// <summary>
/// A ready-made <see cref="ISyncStatusProvider"/>: the loop calls <see cref="Publish"/> once per tick. Subscriber
/// exceptions are caught so telemetry can never break the loop.
/// </summary>
public sealed class SyncStatusPublisher : ISyncStatusProvider
{
    private SyncSnapshot? _current;

    public SyncSnapshot? Current => Volatile.Read(ref _current);
    public event Action<SyncSnapshot>? Updated;

    /// <summary>Number of subscriber exceptions swallowed so far.</summary>
    public long SubscriberFailures { get; private set; }

    public void Publish(SyncSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Volatile.Write(ref _current, snapshot);
        var handlers = Updated;
        if (handlers is null) return;
        foreach (var handler in handlers.GetInvocationList())
        {
            try { ((Action<SyncSnapshot>)handler)(snapshot); }
            catch (Exception) { SubscriberFailures++; }
        }
    }
}
