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
/// payload buffer, device subscription) is released when it ends.
/// </summary>
public sealed partial class VhostUserConnection : IDisposable, IVhostUserSessionHost
{
    /// <summary>Messages handled per wakeup before the loop serves other connections (the socket stays readable, so it comes back).</summary>
    private const int MaxMessagesPerWakeup = 16;

    private readonly int _socketFd;
    private readonly IVirtioDevice _device;
    private readonly VhostUserServerOptions _options;
    private readonly ILogger _logger;
    private readonly VhostUserSession _session;
    private readonly VhostUserMessageReader _reader = new();
    private readonly int[] _watchedKicks;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action _serveNotifications;
    private readonly Action _stop;
    private VhostUserEventLoop? _loop;
    private VhostUserEventLoop.Deadline? _deadline;
    private volatile bool _stopRequested;
    private int _pendingNotificationMask;
    private int _deferredCallMask; // loop thread: queues whose call waits for the end of the loop's batch
    private bool _attached;
    private bool _ended;
    // Timeouts: when accepted, when last active (message, kick or device notification).
    private readonly long _acceptedMs = Environment.TickCount64;
    private long _lastActivityMs = Environment.TickCount64;

    // Persistence (both null when off): the fd store, the state directory, and what the store holds for us by name.
    private readonly IFileDescriptorStore? _fdStore;
    private readonly ConnectionStateDirectory? _stateDirectory;
    private readonly Dictionary<string, int> _storedFds = new();
    private bool _restored;

    internal VhostUserConnection(int id, int socketFd, IVirtioDevice device, VhostUserServerOptions options, ILogger logger,
        IFileDescriptorStore? fdStore = null, ConnectionStateDirectory? stateDirectory = null)
    {
        Id = id;
        if (fdStore is not null && stateDirectory is not null)
        {
            _fdStore = fdStore;
            _stateDirectory = stateDirectory;
        }
        _socketFd = socketFd;
        _device = device;
        _options = options;
        _logger = logger;
        _session = new VhostUserSession(id, device, options, logger, this);
        _session.Vrings.KickClosing = OnKickClosing;
        _watchedKicks = new int[_session.Vrings.Count];
        Array.Fill(_watchedKicks, -1);
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
        if (_fdStore is not null && _device is IPersistentVirtioDevice persistent)
        {
            persistent.StateChanged += OnDeviceStateChanged;
        }
        if (_fdStore is not null && !_restored)
        {
            Persist();
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
        _lastActivityMs = Environment.TickCount64;
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
            if (_deadline is not null && NextDeadlineMs() == long.MaxValue)
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
        int fd = _watchedKicks[q];
        if (fd < 0 || _ended)
        {
            return;
        }
        _lastActivityMs = Environment.TickCount64;
        // The kick fd is edge-triggered and not read (see VhostUserEventLoop.Watch); the call is signalled at the end of the batch.
        if (_session.ProcessQueue(q, deferCall: q < 32))
        {
            bool enlist = _deferredCallMask == 0;
            _deferredCallMask |= 1 << q;
            if (enlist)
            {
                _loop!.DeferCalls(this);
            }
        }
    }

    /// <summary>Loop thread, end of a batch: signals the calls <see cref="OnKick"/> deferred, on the rings' current call fds.</summary>
    internal void SignalDeferredCalls()
    {
        int mask = _deferredCallMask;
        _deferredCallMask = 0;
        if (!_ended)
        {
            _session.SignalCalls(mask);
        }
    }

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
        if ((uint)queueIndex < 32 && (Interlocked.Or(ref _pendingNotificationMask, 1 << queueIndex) == 0))
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
        int pending = Interlocked.Exchange(ref _pendingNotificationMask, 0);
        if (pending == 0)
        {
            return;
        }
        _lastActivityMs = Environment.TickCount64;
        for (int q = 0; q < _session.Vrings.Count; q++)
        {
            if ((pending & (1 << q)) != 0)
            {
                _session.ProcessQueue(q);
            }
        }
    }

    /// <summary>After every message: the kick fds of exactly the running vrings are in the epoll set.</summary>
    private void SyncKickWatches()
    {
        var vrings = _session.Vrings;
        for (int q = 0; q < vrings.Count && !_ended; q++)
        {
            int wanted = vrings.IsRunnable(q) && vrings[q].KickFd >= 0 ? vrings[q].KickFd : -1;
            if (_watchedKicks[q] == wanted)
            {
                continue;
            }
            if (_watchedKicks[q] >= 0)
            {
                _loop!.Unwatch(_watchedKicks[q]);
                _watchedKicks[q] = -1;
            }
            if (wanted >= 0)
            {
                if (!_loop!.Watch(this, q + 1, wanted))
                {
                    string reason = $"epoll_ctl on the kick fd of queue {q} failed (errno {LibC.LastErrno})";
                    Fail(reason);
                    Close(reason);
                    return;
                }
                _watchedKicks[q] = wanted; // a kick that came before the ring ran is reported once when the fd is added
            }
        }
    }

    /// <summary>A kick fd is about to be closed (replaced, ring stopped, reset): out of the epoll set first.</summary>
    private void OnKickClosing(int q, int fd)
    {
        if ((uint)q < (uint)_watchedKicks.Length && _watchedKicks[q] == fd)
        {
            _loop?.Unwatch(fd);
            _watchedKicks[q] = -1;
        }
    }

    private void EndOnReceive(VhostUserMessageReader.Status status)
    {
        string what = _reader.Problem;
        if (status == VhostUserMessageReader.Status.Malformed)
        {
            Fail(what);
        }
        else
        {
            End(status switch
            {
                VhostUserMessageReader.Status.Closed => $"front end closed the socket (reading {what})",
                VhostUserMessageReader.Status.TooManyFds => $"too many fds with {what}",
                _ => $"socket error reading {what} (errno {_reader.Errno})",
            });
        }
        Close(EndReason!);
    }

    bool IVhostUserSessionHost.StopRequested => _stopRequested;

    void IVhostUserSessionHost.Persist() => Persist();

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
            for (int q = 0; q < _watchedKicks.Length; q++)
            {
                if (_watchedKicks[q] >= 0)
                {
                    _loop!.Unwatch(_watchedKicks[q]);
                    _watchedKicks[q] = -1;
                }
            }
            _loop!.Unwatch(_socketFd);
            _loop.Forget(this);
        }
        _device.NotificationPending -= OnNotificationPending;
        if (_device is IPersistentVirtioDevice persistentDevice)
        {
            persistentDevice.StateChanged -= OnDeviceStateChanged;
        }
        if (_fdStore is not null && !_stopRequested)
        {
            // The front end is gone (or broke the protocol): nothing to take over after a restart.
            // A stop (service stop or restart) keeps the store and the state file: the next process continues.
            foreach (string name in _storedFds.Keys)
            {
                _fdStore.Remove(name);
            }
            _storedFds.Clear();
            _stateDirectory!.Delete(Id);
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
}
