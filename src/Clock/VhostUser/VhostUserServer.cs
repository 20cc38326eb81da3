using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sync.Clock.Virtio;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// A vhost-user back end listening on a Unix stream socket. Every accepted front end (one device of one VM) gets
/// its own <see cref="VhostUserConnection"/> and its own device from the factory; all connections are served by one
/// thread with one epoll set (<see cref="VhostUserEventLoop"/>), and a second thread accepts. A misbehaving front
/// end loses only its own connection. The server keeps accepting (QEMU reconnects).
/// <code>
/// using var server = new VhostUserServer(new VhostUserServerOptions { SocketPath = "/run/virtsync/vm1.sock" },
///     () => new VirtioRtcDevice(...), logger);
/// server.Start();
/// ...
/// await server.StopAsync();
/// </code>
/// </summary>
public sealed partial class VhostUserServer : IDisposable, IAsyncDisposable
{
    private readonly VhostUserServerOptions _options;
    private readonly Func<IVirtioDevice> _deviceFactory;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<int, VhostUserConnection> _connections = new();
    // Per connection: done once it is removed from _connections and its device disposed (what StopAsync waits for).
    private readonly Dictionary<int, Task> _releases = new();
    private int _listenFd = -1;
    private int _wakeFd = -1;
    private Thread? _acceptThread;
    private VhostUserEventLoop? _loop;
    private volatile bool _stopping;
    private int _nextConnectionId;
    private long _accepted;
    private long _refused;
    private long _refusedAtLastLog;
    private long _lastRefusalLogMs = long.MinValue;
    private bool _ownsSocketFile;
    private bool _listenerStored;
    private int _inheritedListenFd = -1;
    private readonly ConnectionStateDirectory? _stateDirectory;
    private readonly List<VhostUserConnection> _restored = new();
    // Many VMs start at once on a host (a reboot): a deep backlog keeps their connects waiting, not failing.
    private const int ListenBacklog = 1024;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public VhostUserServer(VhostUserServerOptions options, Func<IVirtioDevice> deviceFactory, ILogger<VhostUserServer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(deviceFactory);
        if (string.IsNullOrWhiteSpace(options.SocketPath))
        {
            throw new ArgumentException("VhostUserServerOptions.SocketPath must name the socket file, e.g. /run/virtsync/vm1.sock", nameof(options));
        }
        _options = options;
        _deviceFactory = deviceFactory;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _stateDirectory = string.IsNullOrWhiteSpace(options.StateDirectory) ? null : new ConnectionStateDirectory(options.StateDirectory);
    }

    /// <summary>Connections taken over from a previous process at <see cref="Start"/>.</summary>
    public IReadOnlyList<VhostUserConnection> RestoredConnections => _restored;

    public string SocketPath => _options.SocketPath;

    /// <summary>Front ends accepted since start.</summary>
    public long AcceptedCount => Interlocked.Read(ref _accepted);

    public int ActiveConnectionCount
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Front ends closed at once because <see cref="VhostUserServerOptions.MaxConnections"/> were open.</summary>
    public long RefusedCount => Interlocked.Read(ref _refused);

    /// <summary>Raised (on the accept thread) for each front end refused over the limit; metrics count it.</summary>
    public event Action? ConnectionRefused;

    /// <summary>Raised (on the accept thread) for each accepted connection; tests and metrics watch it.</summary>
    public event Action<VhostUserConnection>? ConnectionAccepted;

    /// <summary>
    /// Takes over the connections whose fds are in <paramref name="inherited"/> (from the fd store of a previous
    /// process, see <see cref="RestoreConnections"/>), then creates the directory, replaces a stale socket file,
    /// binds, sets the mode, starts accepting.
    /// </summary>
    /// <exception cref="IOException">The path is in use by a live server, is not a socket, or cannot be bound.</exception>
    public unsafe void Start(IReadOnlyList<InheritedFileDescriptor>? inherited = null)
    {
        if (_acceptThread is not null)
        {
            throw new InvalidOperationException("the server is already started");
        }
        _loop = new VhostUserEventLoop(_logger, "vhost-user-loop");
        RestoreConnections(inherited ?? []);
        string path = Path.GetFullPath(_options.SocketPath);
        Span<byte> address = stackalloc byte[2 + LibC.SockaddrUnPathLength];
        int addressLength = LibC.FillSockaddrUn(address, path);
        if (addressLength < 0)
        {
            throw new IOException($"socket path '{path}' is longer than {LibC.SockaddrUnPathLength - 1} bytes");
        }
        bool reuseListener = _inheritedListenFd >= 0 && _options.Role == VhostUserSocketRole.Listen
            && LibC.IsBoundTo(_inheritedListenFd, path) && LibC.IsSocketFile(path);
        if (_inheritedListenFd >= 0 && !reuseListener)
        {
            _logger.LogWarning("vhost-user server: inherited fd '{Name}' is not a socket listening on {Path}; closing it", ListenFdName, path);
            Discard(ListenFdName, _inheritedListenFd);
        }
        if (_options.Role == VhostUserSocketRole.Connect)
        {
            StartConnecting(path);
            return;
        }
        if (reuseListener)
        {
            // The previous process's listening socket: front ends that connected meanwhile wait in its backlog.
            _listenFd = _inheritedListenFd;
            _ownsSocketFile = true;
            StoreListener();
            StartAccepting(path);
            return;
        }
        string? directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        RemoveStaleSocket(path, address.Slice(0, addressLength));

        _listenFd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (_listenFd < 0)
        {
            throw new IOException($"socket(AF_UNIX) failed (errno {LibC.LastErrno})");
        }
        fixed (byte* addressPointer = address)
        {
            if (LibC.Bind(_listenFd, addressPointer, (uint)addressLength) != 0)
            {
                int errno = LibC.LastErrno;
                CloseListener();
                throw new IOException($"bind to '{path}' failed (errno {errno})");
            }
        }
        _ownsSocketFile = true;
        if (_options.SocketGroupId >= 0 && LibC.Chown(path, -1, _options.SocketGroupId) != 0)
        {
            int errno = LibC.LastErrno;
            CloseListener();
            throw new IOException($"giving '{path}' group {_options.SocketGroupId} failed (errno {errno}): the process must be in that group "
                + "(SupplementaryGroups= in the unit) or root");
        }
        if (LibC.Chmod(path, (uint)_options.SocketMode) != 0 || LibC.Listen(_listenFd, ListenBacklog) != 0)
        {
            int errno = LibC.LastErrno;
            CloseListener();
            throw new IOException($"chmod/listen on '{path}' failed (errno {errno})");
        }
        StoreListener();
        StartAccepting(path);
    }

    /// <summary>
    /// With an fd store, the listening socket goes there too (as "listen"): it outlives this process, so front ends
    /// connecting while no process runs wait in its backlog, and the socket file stays.
    /// </summary>
    private void StoreListener()
    {
        _inheritedListenFd = -1;
        if (_options.FileDescriptorStore is { } store)
        {
            store.Remove(ListenFdName);
            store.Store(ListenFdName, _listenFd);
            _listenerStored = true;
        }
    }

    private void StartAccepting(string path)
    {
        _wakeFd = EventFds.Create();
        if (_wakeFd < 0)
        {
            CloseListener();
            throw new IOException($"eventfd failed (errno {LibC.LastErrno})");
        }
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "vhost-user-accept" };
        _acceptThread.Start();
        _logger.LogInformation("vhost-user server listening on {Path}", path);
    }

    /// <summary>
    /// Stops accepting, ends every connection (unmapping memory, closing fds), removes the socket file. With an fd
    /// store, the socket file stays (the store keeps the listening socket) and so do the connections' fds and state.
    /// </summary>
    public async Task StopAsync()
    {
        if (_acceptThread is null)
        {
            // Never started, or Start failed: end what was restored and the loop.
            await EndConnectionsAndLoop().ConfigureAwait(false);
            return;
        }
        _stopping = true;
        lock (_gate)
        {
            if (_wakeFd >= 0)
            {
                EventFds.Signal(_wakeFd);
            }
        }
        await _stopped.Task.ConfigureAwait(false);
        await EndConnectionsAndLoop().ConfigureAwait(false);
    }

    private async Task EndConnectionsAndLoop()
    {
        Task[] endings;
        lock (_gate)
        {
            foreach (var connection in _connections.Values)
            {
                connection.RequestStop();
            }
            endings = _releases.Values.ToArray();
        }
        await Task.WhenAll(endings).ConfigureAwait(false);
        Interlocked.Exchange(ref _loop, null)?.Dispose();
    }

    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private void StartConnecting(string path)
    {
        _wakeFd = EventFds.Create();
        if (_wakeFd < 0)
        {
            throw new IOException($"eventfd failed (errno {LibC.LastErrno})");
        }
        _acceptThread = new Thread(() => ConnectLoop(path)) { IsBackground = true, Name = "vhost-user-connect" };
        _acceptThread.Start();
        _logger.LogInformation("vhost-user back end connecting to the front end at {Path}", path);
    }

    /// <summary>Connects to a listening front end, serves the connection until it ends, and connects again, until stopped.</summary>
    private unsafe void ConnectLoop(string path)
    {
        Span<byte> address = stackalloc byte[2 + LibC.SockaddrUnPathLength];
        int addressLength = LibC.FillSockaddrUn(address, path);
        int retryMs = Math.Max(1, (int)_options.ReconnectInterval.TotalMilliseconds);
        int lastErrno = 0;
        try
        {
            foreach (var restored in _restored)
            {
                // One front end at a time in this role: the restored connection first.
                WaitForEndOrStop(restored);
            }
            while (!_stopping)
            {
                int fd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
                int result;
                fixed (byte* addressPointer = address)
                {
                    result = fd < 0 ? -1 : LibC.Connect(fd, addressPointer, (uint)addressLength);
                }
                if (result == 0)
                {
                    lastErrno = 0;
                    var connection = Serve(fd);
                    if (connection is not null)
                    {
                        WaitForEndOrStop(connection);
                    }
                }
                else
                {
                    int errno = LibC.LastErrno;
                    LibC.CloseQuietly(fd);
                    if (errno != lastErrno)
                    {
                        _logger.LogWarning("vhost-user back end: connecting to {Path} failed (errno {Errno}); retrying every {Ms} ms", path, errno, retryMs);
                        lastErrno = errno;
                    }
                }
                if (!_stopping)
                {
                    WaitForWake(retryMs);
                }
            }
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "vhost-user back end: connect loop failed");
        }
        finally
        {
            CloseListener();
            _stopped.TrySetResult();
        }
    }

    private void WaitForEndOrStop(VhostUserConnection connection)
    {
        while (!_stopping && !connection.Completion.IsCompleted)
        {
            WaitForWake(100);
        }
    }

    private unsafe void WaitForWake(int timeoutMs)
    {
        var poll = new LibC.PollFd { Fd = _wakeFd, Events = LibC.POLLIN };
        LibC.Poll(&poll, 1, timeoutMs);
    }

    private unsafe void AcceptLoop()
    {
        var polls = stackalloc LibC.PollFd[2];
        try
        {
            while (!_stopping)
            {
                polls[0] = new LibC.PollFd { Fd = _listenFd, Events = LibC.POLLIN };
                polls[1] = new LibC.PollFd { Fd = _wakeFd, Events = LibC.POLLIN };
                if (LibC.Poll(polls, 2, -1) < 0)
                {
                    if (LibC.LastErrno == LibC.EINTR)
                    {
                        continue;
                    }
                    _logger.LogError("vhost-user server: poll failed (errno {Errno})", LibC.LastErrno);
                    break;
                }
                if (_stopping)
                {
                    break;
                }
                if ((polls[0].Revents & LibC.POLLIN) == 0)
                {
                    continue;
                }
                int clientFd = LibC.Accept4(_listenFd, null, null, LibC.SOCK_CLOEXEC);
                if (clientFd < 0)
                {
                    continue;
                }
                _ = Serve(clientFd);
            }
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "vhost-user server: accept loop failed");
        }
        finally
        {
            CloseListener();
            _stopped.TrySetResult();
        }
    }

    private VhostUserConnection? Serve(int clientFd)
    {
        Interlocked.Increment(ref _accepted);
        if (ActiveConnectionCount >= _options.MaxConnections)
        {
            Refuse(clientFd);
            return null;
        }
        IVirtioDevice device;
        try
        {
            device = _deviceFactory();
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "vhost-user server: device factory failed; closing the connection");
            LibC.Close(clientFd);
            return null;
        }
        int id = Interlocked.Increment(ref _nextConnectionId);
        var connection = new VhostUserConnection(id, clientFd, device, _options, _logger, _options.FileDescriptorStore, _stateDirectory);
        _logger.LogInformation("vhost-user server: connection {Id} accepted", id);
        Register(connection, device);
        return connection;
    }

    /// <summary>
    /// Closes a front end over the limit, counts it and raises <see cref="ConnectionRefused"/>; the warning is logged
    /// at most once per <see cref="VhostUserServerOptions.RefusalLogInterval"/> with the number refused meanwhile, so a
    /// reconnecting front end cannot flood the journal.
    /// </summary>
    private void Refuse(int clientFd)
    {
        long refused = Interlocked.Increment(ref _refused);
        try
        {
            ConnectionRefused?.Invoke();
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "vhost-user server: a ConnectionRefused handler failed");
        }
        LibC.Close(clientFd); // after counting: the front end sees the close only once the refusal is visible
        long now = Environment.TickCount64;
        if (_lastRefusalLogMs != long.MinValue && now - _lastRefusalLogMs < (long)_options.RefusalLogInterval.TotalMilliseconds)
        {
            return;
        }
        long since = refused - _refusedAtLastLog;
        _lastRefusalLogMs = now;
        _refusedAtLastLog = refused;
        _logger.LogWarning(
            "vhost-user server: {Max} connections open (serve:maxConnections), refused {Count} front end(s) since the last warning, {Total} in all",
            _options.MaxConnections, since, refused);
    }

    private void Register(VhostUserConnection connection, IVirtioDevice device)
    {
        int id = connection.Id;
        lock (_gate)
        {
            _connections.Add(id, connection);
        }
        var release = connection.Completion.ContinueWith(_ =>
        {
            lock (_gate)
            {
                _connections.Remove(id);
                _releases.Remove(id);
            }
            (device as IDisposable)?.Dispose();
        }, TaskScheduler.Default);
        lock (_gate)
        {
            if (!release.IsCompleted)
            {
                _releases[id] = release;
            }
        }
        try
        {
            ConnectionAccepted?.Invoke(connection);
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "vhost-user server: a ConnectionAccepted handler failed");
        }
        connection.Start(_loop!);
    }

    private unsafe void RemoveStaleSocket(string path, ReadOnlySpan<byte> address)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return;
        }
        if (!LibC.IsSocketFile(path))
        {
            throw new IOException($"'{path}' exists and is not a socket; refusing to replace it");
        }
        int probe = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        try
        {
            fixed (byte* addressPointer = address)
            {
                if (probe >= 0 && LibC.Connect(probe, addressPointer, (uint)address.Length) == 0)
                {
                    throw new IOException($"'{path}' is in use by a running server");
                }
            }
        }
        finally
        {
            LibC.CloseQuietly(probe);
        }
        LibC.Unlink(path);
        _logger.LogInformation("vhost-user server: removed stale socket {Path}", path);
    }

    private void CloseListener()
    {
        lock (_gate)
        {
            LibC.CloseQuietly(_listenFd);
            _listenFd = -1;
            LibC.CloseQuietly(_wakeFd);
            _wakeFd = -1;
        }
        if (_ownsSocketFile && !_listenerStored)
        {
            LibC.Unlink(Path.GetFullPath(_options.SocketPath));
            _ownsSocketFile = false;
        }
    }
}
