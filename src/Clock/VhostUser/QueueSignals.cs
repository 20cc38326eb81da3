namespace Sync.Clock.VhostUser;

/// <summary>
/// A connection's queues served outside its messages: a kick processes its queue at once and defers the call signal to
/// the end of the loop's batch (one signal per queue and batch, see <see cref="VhostUserEventLoop.DeferCalls"/>); a device
/// notification (the device's alarm timer, from any thread) marks its queue, and the first mark of a burst has one pass
/// posted to the loop thread. The masks' bits are queues 0-31. Loop thread, but <see cref="Notify"/>.
/// </summary>
internal sealed class QueueSignals(VhostUserSession session)
{
    private int _pendingNotificationMask; // any thread
    private int _deferredCallMask; // loop thread: queues whose call waits for the end of the loop's batch

    /// <summary>Processes queue q after its kick; true when the connection must enlist for the end of the batch (its first deferred call).</summary>
    public bool Kicked(int q)
    {
        // The kick fd is edge-triggered and not read (see VhostUserEventLoop.Watch); the call is signalled at the end of the batch.
        if (!session.ProcessQueue(q, deferCall: q < 32))
        {
            return false;
        }
        bool enlist = _deferredCallMask == 0;
        _deferredCallMask |= 1 << q;
        return enlist;
    }

    /// <summary>End of the loop's batch: signals the deferred calls on the rings' current call fds (none once the connection ended).</summary>
    public void SignalDeferredCalls(bool ended)
    {
        int mask = _deferredCallMask;
        _deferredCallMask = 0;
        if (!ended)
        {
            session.SignalCalls(mask);
        }
    }

    /// <summary>Any thread: marks queue q; true for the first mark since the last pass (post one pass per burst).</summary>
    public bool Notify(int q) => (uint)q < 32 && Interlocked.Or(ref _pendingNotificationMask, 1 << q) == 0;

    /// <summary>The marked queues, taken for a pass (0 when none).</summary>
    public int TakeNotified() => Interlocked.Exchange(ref _pendingNotificationMask, 0);

    /// <summary>A pass: processes each queue in <paramref name="notified"/>.</summary>
    public void Serve(int notified)
    {
        for (int q = 0; q < session.Vrings.Count; q++)
        {
            if ((notified & (1 << q)) != 0)
            {
                session.ProcessQueue(q);
            }
        }
    }
}
