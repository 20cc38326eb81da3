using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Sync.Clock.Virtio;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// One front end (one device of one VM) on its own thread: reads vhost-user messages, keeps the memory table
/// and vring state, waits (poll) on the socket, the kick eventfds and a wake eventfd (device notifications, stop),
/// processes rings and signals call eventfds. A malformed message (bad version, oversized or truncated payload,
/// wrong payload size) drops this connection only; the device instance dies with it.
/// </summary>
public sealed partial class VhostUserConnection : IDisposable, IVhostUserSessionHost
{
    private readonly int _socketFd;
    private readonly int _wakeFd;
    private readonly IVirtioDevice _device;
    private readonly VhostUserServerOptions _options;
    private readonly ILogger _logger;
    private readonly UnixStreamChannel _channel;
    private readonly VhostUserSession _session;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<int> _receivedFds = new();
    private readonly byte[] _payload = new byte[VhostUserHeader.MaxPayloadBytes];
    private volatile bool _stopRequested;
    private int _pendingNotificationMask;
    private readonly object _wakeGate = new();
    private bool _wakeClosed;
    private Thread? _thread;
    // Timeouts: when accepted, when last active (message or kick), whether the handshake reached SET_OWNER.
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
        _wakeFd = EventFds.Create();
        _channel = new UnixStreamChannel(socketFd, _wakeFd, () => _stopRequested);
        _session = new VhostUserSession(id, device, options, logger, this);
    }

    public int Id { get; }

    /// <summary>Completes when the connection has ended and released everything.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the connection ended ("front end closed the socket", a protocol violation, "stopped").</summary>
    public string? EndReason { get; private set; }

    /// <summary>True when this connection was taken over from a previous process (fd store + state file).</summary>
    public bool IsRestored => _restored;

    public long MessagesHandled { get; private set; }
    public long RequestsCompleted => _session.RequestsCompleted;
    public long ChainsRejected => _session.ChainsRejected;

    internal void Start()
    {
        if (_wakeFd < 0)
        {
            End("could not create the wake eventfd");
            Cleanup();
            return;
        }
        _device.NotificationPending += OnNotificationPending;
        if (_fdStore is not null && _device is IPersistentVirtioDevice persistent)
        {
            persistent.StateChanged += OnDeviceStateChanged;
        }
        if (_fdStore is not null && !_restored)
        {
            Persist();
        }
        _thread = new Thread(Run) { IsBackground = true, Name = $"vhost-user-{Id}" };
        _thread.Start();
    }

    public void RequestStop()
    {
        _stopRequested = true;
        SignalWake();
    }

    public void Dispose()
    {
        RequestStop();
        if (_thread is not null && _thread != Thread.CurrentThread)
        {
            _thread.Join();
        }
    }

    private void OnNotificationPending(int queueIndex)
    {
        if ((uint)queueIndex < 32)
        {
            Interlocked.Or(ref _pendingNotificationMask, 1 << queueIndex);
            SignalWake();
        }
    }

    private void SignalWake()
    {
        // The device may raise notifications from any thread, even while the connection ends: never write to
        // a closed (and possibly reused) fd number.
        lock (_wakeGate)
        {
            if (!_wakeClosed && _wakeFd >= 0)
            {
                EventFds.Signal(_wakeFd);
            }
        }
    }

    private void Run()
    {
        try
        {
            Loop();
        }
        catch (Exception exception)
        {
            // Untrusted input must never take the process down; log and drop this connection.
            End($"internal error: {exception.GetType().Name}: {exception.Message}");
            _logger.LogError(exception, "vhost-user connection {Id}: internal error", Id);
        }
        finally
        {
            Cleanup();
        }
    }

    private unsafe void Loop()
    {
        var vrings = _session.Vrings;
        var polls = new LibC.PollFd[2 + vrings.Count];
        var pollQueue = new int[polls.Length];
        if (_restored)
        {
            _session.ResumeRestoredQueues();
        }
        while (!_stopRequested)
        {
            int count = 0;
            polls[count++] = new LibC.PollFd { Fd = _socketFd, Events = LibC.POLLIN };
            polls[count++] = new LibC.PollFd { Fd = _wakeFd, Events = LibC.POLLIN };
            for (int q = 0; q < vrings.Count; q++)
            {
                if (vrings.IsRunnable(q) && vrings[q].KickFd >= 0)
                {
                    pollQueue[count] = q;
                    polls[count++] = new LibC.PollFd { Fd = vrings[q].KickFd, Events = LibC.POLLIN };
                }
            }
            int ready;
            fixed (LibC.PollFd* pollPointer = polls)
            {
                ready = LibC.Poll(pollPointer, (nuint)count, PollTimeoutMs());
            }
            if (ready == 0)
            {
                if (TimedOut() is { } timeout)
                {
                    Fail(timeout);
                    return;
                }
                continue;
            }
            _lastActivityMs = Environment.TickCount64;
            if (ready < 0)
            {
                if (LibC.LastErrno == LibC.EINTR)
                {
                    continue;
                }
                End($"poll failed (errno {LibC.LastErrno})");
                return;
            }
            if ((polls[1].Revents & LibC.POLLIN) != 0)
            {
                EventFds.Drain(_wakeFd);
            }
            if (_stopRequested)
            {
                End("stopped");
                return;
            }
            for (int i = 2; i < count; i++)
            {
                if (polls[i].Revents != 0)
                {
                    EventFds.Drain(polls[i].Fd);
                    _session.ProcessQueue(pollQueue[i]);
                }
            }
            int pending = Interlocked.Exchange(ref _pendingNotificationMask, 0);
            for (int q = 0; q < vrings.Count; q++)
            {
                if ((pending & (1 << q)) != 0)
                {
                    _session.ProcessQueue(q);
                }
            }
            if (polls[0].Revents != 0 && !ReceiveAndHandleMessage())
            {
                return;
            }
        }
        End("stopped");
    }

    /// <summary>
    /// Until the nearer of the deadlines: SET_OWNER within <see cref="VhostUserServerOptions.HandshakeTimeout"/> of
    /// the accept (QEMU sends it right after connecting), some message or kick within
    /// <see cref="VhostUserServerOptions.IdleTimeout"/> of the last; -1 (wait forever) when neither applies.
    /// </summary>
    private int PollTimeoutMs()
    {
        long now = Environment.TickCount64;
        long deadline = long.MaxValue;
        if (!_session.OwnerSet && _options.HandshakeTimeout > TimeSpan.Zero)
        {
            deadline = _acceptedMs + (long)_options.HandshakeTimeout.TotalMilliseconds;
        }
        if (_options.IdleTimeout > TimeSpan.Zero)
        {
            deadline = Math.Min(deadline, _lastActivityMs + (long)_options.IdleTimeout.TotalMilliseconds);
        }
        return deadline == long.MaxValue ? -1 : (int)Math.Clamp(deadline - now, 0, int.MaxValue);
    }

    private string? TimedOut()
    {
        long now = Environment.TickCount64;
        if (!_session.OwnerSet && _options.HandshakeTimeout > TimeSpan.Zero && now - _acceptedMs >= (long)_options.HandshakeTimeout.TotalMilliseconds)
        {
            return $"no SET_OWNER within {_options.HandshakeTimeout.TotalSeconds:0.###} s of connecting (serve:handshakeTimeoutSeconds)";
        }
        if (_options.IdleTimeout > TimeSpan.Zero && now - _lastActivityMs >= (long)_options.IdleTimeout.TotalMilliseconds)
        {
            return $"no message or kick for {_options.IdleTimeout.TotalSeconds:0.###} s (serve:idleTimeoutSeconds)";
        }
        return null;
    }

    /// <summary>Reads one message and handles it; false ends the connection.</summary>
    private bool ReceiveAndHandleMessage()
    {
        Span<byte> headerBytes = stackalloc byte[VhostUserHeader.Bytes];
        _receivedFds.Clear();
        try
        {
            var status = _channel.ReceiveExact(headerBytes, _receivedFds);
            if (status != UnixStreamChannel.ReceiveStatus.Ok)
            {
                return EndOnReceive(status, "header");
            }
            var header = VhostUserHeader.Read(headerBytes);
            if ((header.Flags & VhostUserHeader.VersionMask) != VhostUserHeader.Version1)
            {
                return Fail($"bad version flags 0x{header.Flags:x} in request {header.Request}");
            }
            if ((header.Flags & VhostUserHeader.ReplyFlag) != 0)
            {
                return Fail($"reply flag set on request {header.Request}");
            }
            if (header.Size > VhostUserHeader.MaxPayloadBytes)
            {
                return Fail($"payload of {header.Size} bytes in request {header.Request} exceeds {VhostUserHeader.MaxPayloadBytes}");
            }
            var payload = _payload.AsSpan(0, (int)header.Size);
            status = _channel.ReceiveExact(payload, _receivedFds);
            if (status != UnixStreamChannel.ReceiveStatus.Ok)
            {
                return EndOnReceive(status, $"payload of request {header.Request}");
            }
            MessagesHandled++;
            return _session.Handle(header, payload, _receivedFds);
        }
        finally
        {
            foreach (int fd in _receivedFds)
            {
                LibC.CloseQuietly(fd); // -1 for fds kept
            }
            _receivedFds.Clear();
        }
    }

    private bool EndOnReceive(UnixStreamChannel.ReceiveStatus status, string what)
    {
        End(status switch
        {
            UnixStreamChannel.ReceiveStatus.Closed => $"front end closed the socket (reading {what})",
            UnixStreamChannel.ReceiveStatus.Stopped => "stopped",
            UnixStreamChannel.ReceiveStatus.TooManyFds => $"too many fds with {what}",
            _ => $"socket error reading {what} (errno {LibC.LastErrno})",
        });
        return false;
    }

    bool IVhostUserSessionHost.StopRequested => _stopRequested;

    void IVhostUserSessionHost.Persist() => Persist();

    bool IVhostUserSessionHost.SendReply(uint request, ReadOnlySpan<byte> payload) => SendReply(request, payload);

    bool IVhostUserSessionHost.Fail(string reason) => Fail(reason);

    private bool SendReply(uint request, ReadOnlySpan<byte> payload)
    {
        Span<byte> message = stackalloc byte[VhostUserHeader.Bytes + payload.Length];
        new VhostUserHeader(request, VhostUserHeader.Version1 | VhostUserHeader.ReplyFlag, (uint)payload.Length).Write(message);
        payload.CopyTo(message.Slice(VhostUserHeader.Bytes));
        if (_channel.SendAll(message))
        {
            return true;
        }
        End($"sending the reply to request {request} failed (errno {LibC.LastErrno})");
        return false;
    }

    private bool Fail(string reason)
    {
        _logger.LogWarning("vhost-user connection {Id}: dropping: {Reason}", Id, reason);
        End(reason);
        return false;
    }

    private void End(string reason) => EndReason ??= reason;

    private void Cleanup()
    {
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
        LibC.CloseQuietly(_socketFd);
        lock (_wakeGate)
        {
            _wakeClosed = true;
            LibC.CloseQuietly(_wakeFd);
        }
        _logger.LogInformation("vhost-user connection {Id} ended: {Reason}", Id, EndReason);
        _completion.TrySetResult();
    }
}
