using Microsoft.Extensions.Logging;
using Sync.Clock.Virtio;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// One front end (one device of one VM), served by the server's shared <see cref="VhostUserEventLoop"/>: its socket
/// and the kick eventfds of its running vrings are in the loop's epoll set. Messages are assembled without blocking
/// (<see cref="VhostUserMessageReader"/>) and handed to the <see cref="VhostUserSession"/>; kicks and device
/// notifications serve the rings. A malformed message (bad version, oversized or truncated payload, wrong payload
/// size), a front end that does not read its replies, or a timeout drops this connection only; the device instance
/// dies with it. Everything the connection owns (socket, memory mappings and their fds, eventfds, epoll entries,
/// payload buffer, device subscription) is released when it ends. Its parts: <see cref="KickWatches"/> (kick fds in the
/// epoll set), <see cref="QueueSignals"/> (kicks, deferred calls, device notifications), <see cref="ConnectionTimeouts"/>,
/// <see cref="ConnectionPersistence"/> (fd store and state file).
/// </summary>
public sealed class VhostUserConnection : IDisposable, IVhostUserSessionHost
{
    /// <summary>Messages handled per wakeup before the loop serves other connections (the socket stays readable, so it comes back).</summary>
    private const int MaxMessagesPerWakeup = 16;

    private readonly int _socketFd;
    private readonly IVirtioDevice _device;
    private readonly VhostUserServerOptions _options;
    private readonly ILogger _logger;
    private readonly VhostUserSession _session;
    private readonly VhostUserMessageReader _reader = new();
    private readonly KickWatches _kicks;
    private readonly QueueSignals _signals;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action _serveNotifications;
    private readonly Action _stop;
    private VhostUserEventLoop? _loop;
    private VhostUserEventLoop.Deadline? _deadline;
    private volatile bool _stopRequested;
    private bool _attached;
    private bool _ended;
    private readonly ConnectionTimeouts _timeouts;
    private readonly ConnectionPersistence? _persistence; // null without an fd store and a state directory
    private bool _restored;

    internal VhostUserConnection(int id, int socketFd, IVirtioDevice device, VhostUserServerOptions options, ILogger logger,
        IFileDescriptorStore? fdStore = null, ConnectionStateDirectory? stateDirectory = null)
    {
        Id = id;
        _socketFd = socketFd;
        _device = device;
        _options = options;
        _logger = logger;
        _timeouts = new ConnectionTimeouts(options, Environment.TickCount64);
        _session = new VhostUserSession(id, device, options, logger, this);
        _session.Vrings.KickClosing = (q, fd) => _kicks!.Closing(q, fd, _loop);
        _kicks = new KickWatches(_session.Vrings.Count);
        _signals = new QueueSignals(_session);
        if (fdStore is not null && stateDirectory is not null)
        {
            _persistence = new ConnectionPersistence(id, socketFd, _session, fdStore, stateDirectory, logger);
        }
        _serveNotifications = ServeNotifications;
        _stop = () => Close("stopped");
    }

    public int Id { get; }

    /// <summary>Called once when the connection has ended and released everything, on that thread, before <see cref="Completion"/> is set (the server's bookkeeping).</summary>
    internal Action<VhostUserConnection>? Ended { get; set; }

    /// <summary>Completes when the connection has ended and released everything.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the connection ended ("front end closed the socket", a protocol violation, "stopped").</summary>
    public string? EndReason { get; private set; }

    /// <summary>True when this connection was taken over from a previous process (fd store + state file).</summary>
    public bool IsRestored => _restored;

    public long MessagesHandled { get; private set; }
    public long RequestsCompleted => _session.RequestsCompleted;
    public long ChainsRejected => _session.ChainsRejected;

    /// <summary>Joins <paramref name="loop"/>: from now on the loop thread serves this connection.</summary>
    internal void Start(VhostUserEventLoop loop)
    {
        _loop = loop;
        _device.NotificationPending += OnNotificationPending;
        if (_persistence is not null && _device is IPersistentVirtioDevice persistent)
        {
            persistent.StateChanged += OnDeviceStateChanged;
        }
        if (!_restored)
        {
            _persistence?.Persist();
        }
        loop.Post(Attach);
    }

    /// <summary>Ends the connection soon (from any thread); with an fd store its fds and state stay for the next process.</summary>
    public void RequestStop()
    {
        _stopRequested = true;
        _loop?.Post(_stop);
    }

    public void Dispose()
    {
        RequestStop();
        if (_loop is not null && !_loop.IsLoopThread)
        {
            Completion.Wait(TimeSpan.FromSeconds(10));
        }
    }

    private void Attach()
    {
        if (_ended)
        {
            return;
        }
        if (_stopRequested)
        {
            Close("stopped");
            return;
        }
        _attached = true;
        if (!_loop!.Watch(this, 0, _socketFd))
        {
            Close($"epoll_ctl on the socket failed (errno {LibC.LastErrno})");
            return;
        }
        if (_restored)
        {
            _session.ResumeRestoredQueues();
        }
        SyncKickWatches();
        ServeNotifications();
        ScheduleTimeoutCheck();
    }

    /// <summary>Loop thread: the socket is readable (data, end of file or an error).</summary>
    internal void OnSocketReadable()
    {
        _timeouts.Active(Environment.TickCount64);
        for (int i = 0; i < MaxMessagesPerWakeup && !_ended; i++)
        {
            var status = _reader.TryRead(_socketFd);
            if (status == VhostUserMessageReader.Status.Incomplete)
            {
                return;
            }
            if (status != VhostUserMessageReader.Status.Message)
            {
                EndOnReceive(status);
                return;
            }
            MessagesHandled++;
            bool keep = _session.Handle(_reader.Header, _reader.Payload, _reader.Fds);
            _reader.Release();
            SyncKickWatches();
            if (_deadline is not null && _timeouts.NextDeadlineMs(_session.OwnerSet) == long.MaxValue)
            {
                _deadline.Cancel(); // SET_OWNER came and there is no idle timeout: nothing left to check
                _deadline = null;
            }
            if (!keep)
            {
                Close(EndReason ?? "ended");
                return;
            }
        }
    }

    /// <summary>Loop thread: the kick eventfd of queue <paramref name="q"/> was signalled.</summary>
    internal void OnKick(int q)
    {
        if (_kicks[q] < 0 || _ended)
        {
            return;
        }
        _timeouts.Active(Environment.TickCount64);
        if (_signals.Kicked(q))
        {
            _loop!.DeferCalls(this);
        }
    }

    /// <summary>Loop thread, end of a batch: signals the calls <see cref="OnKick"/> deferred (<see cref="QueueSignals"/>).</summary>
    internal void SignalDeferredCalls() => _signals.SignalDeferredCalls(_ended);

    /// <summary>Loop thread: an exception escaped while serving this connection: untrusted input must never take the process down.</summary>
    internal void EndOnInternalError(Exception exception)
    {
        End($"internal error: {exception.GetType().Name}: {exception.Message}");
        _logger.LogError(exception, "vhost-user connection {Id}: internal error", Id);
        Close(EndReason!);
    }

    /// <summary>Loop thread, when the loop itself ends: like a stop (an fd store keeps the connection for the next process).</summary>
    internal void EndWithLoop()
    {
        _stopRequested = true;
        Close("stopped");
    }

    private void OnNotificationPending(int queueIndex)
    {
        // From any thread (the device's alarm timer): one post per burst.
        if (_signals.Notify(queueIndex))
        {
            _loop?.Post(_serveNotifications);
        }
    }

    private void ServeNotifications()
    {
        if (!_attached || _ended)
        {
            return;
        }
        int notified = _signals.TakeNotified();
        if (notified == 0)
        {
            return;
        }
        _timeouts.Active(Environment.TickCount64);
        _signals.Serve(notified);
    }

    /// <summary>After every message: the kick fds of exactly the running vrings are in the epoll set.</summary>
    private void SyncKickWatches()
    {
        if (!_ended && _kicks.Sync(_session.Vrings, _loop!, this) is { } failure)
        {
            Fail(failure);
            Close(failure);
        }
    }

    /// <summary>The read ended the connection: a malformed message is a violation (logged), the rest are endings.</summary>
    private void EndOnReceive(VhostUserMessageReader.Status status)
    {
        string reason = _reader.EndReason(status);
        if (status == VhostUserMessageReader.Status.Malformed)
        {
            Fail(reason);
        }
        else
        {
            End(reason);
        }
        Close(EndReason!);
    }

    bool IVhostUserSessionHost.StopRequested => _stopRequested;

    void IVhostUserSessionHost.Persist() => _persistence?.Persist();

    bool IVhostUserSessionHost.SendReply(uint request, ReadOnlySpan<byte> payload) => SendReply(request, payload);

    bool IVhostUserSessionHost.Fail(string reason) => Fail(reason);

    /// <summary>
    /// Sends a reply without blocking the loop: a front end that lets its socket buffer fill (hundreds of unread
    /// replies) is dropped rather than allowed to stall every other VM.
    /// </summary>
    private bool SendReply(uint request, ReadOnlySpan<byte> payload)
    {
        Span<byte> message = stackalloc byte[VhostUserHeader.Bytes + payload.Length];
        new VhostUserHeader(request, VhostUserHeader.Version1 | VhostUserHeader.ReplyFlag, (uint)payload.Length).Write(message);
        payload.CopyTo(message.Slice(VhostUserHeader.Bytes));
        if (UnixStreamChannel.TrySendNow(_socketFd, message, out int errno))
        {
            return true;
        }
        End(errno == Errno.EAGAIN
            ? $"the reply to request {request} did not fit the socket buffer: the front end does not read its replies"
            : $"sending the reply to request {request} failed (errno {errno})");
        return false;
    }

    private bool Fail(string reason)
    {
        _logger.LogWarning("vhost-user connection {Id}: dropping: {Reason}", Id, reason);
        End(reason);
        return false;
    }

    private void End(string reason) => EndReason ??= reason;

    /// <summary>Ends the connection (loop thread, or the restoring thread before it joined a loop) and releases everything.</summary>
    private void Close(string reason)
    {
        if (_ended)
        {
            return;
        }
        End(reason);
        _ended = true;
        _deadline?.Cancel();
        _deadline = null;
        if (_attached)
        {
            _kicks.UnwatchAll(_loop!);
            _loop!.Unwatch(_socketFd);
            _loop.Forget(this);
        }
        _device.NotificationPending -= OnNotificationPending;
        if (_device is IPersistentVirtioDevice persistentDevice)
        {
            persistentDevice.StateChanged -= OnDeviceStateChanged;
        }
        if (!_stopRequested)
        {
            // The front end is gone (or broke the protocol): nothing to take over after a restart.
            // A stop (service stop or restart) keeps the store and the state file: the next process continues.
            _persistence?.Forget();
        }
        _session.Dispose();
        _reader.Dispose();
        LibC.CloseQuietly(_socketFd);
        _logger.LogInformation("vhost-user connection {Id} ended: {Reason}", Id, EndReason);
        try
        {
            Ended?.Invoke(this);
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "vhost-user connection {Id}: releasing it failed", Id);
        }
        _completion.TrySetResult();
    }

    /// <summary>Loop thread: a deadline of this connection passed; ends it on a timeout (<see cref="ConnectionTimeouts"/>), else waits for the next.</summary>
    internal void CheckTimeouts()
    {
        if (_ended)
        {
            return;
        }
        if (_timeouts.TimedOut(_session.OwnerSet, Environment.TickCount64) is { } timeout)
        {
            Fail(timeout);
            Close(timeout);
            return;
        }
        ScheduleTimeoutCheck();
    }

    private void ScheduleTimeoutCheck()
    {
        _deadline?.Cancel();
        _deadline = null;
        long deadline = _timeouts.NextDeadlineMs(_session.OwnerSet);
        if (deadline != long.MaxValue)
        {
            _deadline = _loop!.ScheduleCheck(this, deadline);
        }
    }

    /// <summary>The device changed state of its own (an alarm set): the state file is rewritten after the current pass.</summary>
    private void OnDeviceStateChanged() => _session.DeviceStateDirty = true;

    /// <summary>
    /// Takes over a front end from a previous process (<see cref="ConnectionPersistence.Restore"/>): <paramref name="fds"/>
    /// are this connection's fds from the store (the socket fd was given to the constructor); everything is stored again
    /// under the same names. On failure the connection is ended (fds closed, removed from the store, state deleted).
    /// Call before <see cref="Start"/>, with an fd store.
    /// </summary>
    internal bool TryRestore(ConnectionSnapshot snapshot, IReadOnlyDictionary<FdStoreName, int> fds, out string problem)
    {
        problem = _persistence?.Restore(snapshot, fds) ?? "no fd store to restore from";
        if (problem.Length > 0)
        {
            Close($"restore failed: {problem}");
            return false;
        }
        _restored = true;
        _persistence!.Persist(storeAll: true);
        return true;
    }
}