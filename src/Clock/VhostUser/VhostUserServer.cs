using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sync.Clock.Virtio;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// A vhost-user back end listening on a Unix stream socket. Every accepted front end (one device of one VM) gets
/// its own <see cref="VhostUserConnection"/> and its own device from the factory; the listening socket and all
/// connections are served by one thread with one epoll set (<see cref="VhostUserEventLoop"/>). A misbehaving front
/// end loses only its own connection. The server keeps accepting (QEMU reconnects). Its parts: listening and accepting
/// (<see cref="ListeningSocket"/>), the Connect role (<see cref="FrontEndConnector"/>), taking over a
/// previous process's connections (<see cref="InheritedConnections"/>).
/// <code>
/// using var server = new VhostUserServer(new VhostUserServerOptions { SocketPath = "/run/virtsync/vm1.sock" },
///     () => new VirtioRtcDevice(...), logger);
/// server.Start();
/// ...
/// await server.StopAsync();
/// </code>
/// </summary>
public sealed class VhostUserServer : IDisposable, IAsyncDisposable
{
    private readonly VhostUserServerOptions _options;
    private readonly Func<IVirtioDevice> _deviceFactory;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    // Open connections; one leaves (and its device is disposed) before its Completion is set.
    private readonly Dictionary<int, VhostUserConnection> _connections = new();
    private VhostUserEventLoop? _loop;
    private bool _started;
    private volatile bool _stopping;
    private int _nextConnectionId;
    private long _accepted;
    private long _refused;
    private long _refusedAtLastLog;
    private readonly LogLimiter _refusalLog;
    private int _inheritedListenFd = -1;
    private readonly ListeningSocket _listener;
    private readonly InheritedConnections _inherited;
    private FrontEndConnector? _connector;
    private readonly ConnectionStateDirectory? _stateDirectory;
    private readonly List<VhostUserConnection> _restored = new();
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
        _listener = new ListeningSocket(options, _logger);
        _refusalLog = new LogLimiter(options.RefusalLogInterval);
        _inherited = new InheritedConnections(options, _stateDirectory, _logger);
    }

    /// <summary>Store name of the listening socket.</summary>
    public const string ListenFdName = ListeningSocket.StoreName;

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

    /// <summary>Raised (on the loop thread; the connect thread in role Connect) for each front end refused over the limit; metrics count it.</summary>
    public event Action? ConnectionRefused;

    /// <summary>Raised (on the loop thread; the connect thread in role Connect) for each accepted connection; tests and metrics watch it.</summary>
    public event Action<VhostUserConnection>? ConnectionAccepted;

    /// <summary>
    /// Raised for each connection that has ended and released everything (its device included), on the thread that
    /// ended it (normally the loop thread), before its <see cref="VhostUserConnection.Completion"/> is set.
    /// </summary>
    public event Action<VhostUserConnection>? ConnectionEnded;

    /// <summary>
    /// Takes over the connections whose fds are in <paramref name="inherited"/> (from the fd store of a previous
    /// process, see <see cref="RestoreConnections"/>), then creates the directory, replaces a stale socket file,
    /// binds, sets the mode, starts accepting.
    /// </summary>
    /// <exception cref="IOException">The path is in use by a live server, is not a socket, or cannot be bound.</exception>
    public unsafe void Start(IReadOnlyList<InheritedFileDescriptor>? inherited = null)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("the server is already started");
        }
        _loop = new VhostUserEventLoop(_logger, "vhost-user-loop", _options.RealtimePriority);
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
            _inherited.Discard(ListenFdName, _inheritedListenFd);
        }
        if (_options.Role == VhostUserSocketRole.Connect)
        {
            _connector = new FrontEndConnector(path, _options, _logger, Serve, () => _stopping);
            _connector.Start(_restored, finished: () =>
            {
                CloseListener();
                _stopped.TrySetResult();
            });
            _started = true;
            return;
        }
        if (reuseListener)
        {
            _listener.Adopt(_inheritedListenFd);
        }
        else
        {
            _listener.Bind(path, address.Slice(0, addressLength));
        }
        _inheritedListenFd = -1;
        _listener.Store();
        _listener.StartAccepting(path, () => _loop, Serve, () => _stopping);
        _started = true;
    }

    /// <summary>
    /// Stops accepting, ends every connection (unmapping memory, closing fds), removes the socket file. With an fd
    /// store, the socket file stays (the store keeps the listening socket) and so do the connections' fds and state.
    /// </summary>
    public async Task StopAsync()
    {
        if (!_started)
        {
            // Never started, or Start failed: end what was restored and the loop.
            await EndConnectionsAndLoop().ConfigureAwait(false);
            return;
        }
        _stopping = true;
        if (_options.Role == VhostUserSocketRole.Connect)
        {
            _connector?.Wake();
        }
        else if (_loop is not { } loop || !loop.Post(StopListening))
        {
            StopListening(); // the loop is gone: nothing watches the socket any more
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
            endings = _connections.Values.Select(c => c.Completion).ToArray();
        }
        await Task.WhenAll(endings).ConfigureAwait(false);
        Interlocked.Exchange(ref _loop, null)?.Dispose();
    }

    /// <summary>
    /// Takes over the connections of a previous process (<see cref="InheritedConnections"/>): each id's fds and state
    /// file rebuild it on its socket fd, with a new device; new connections get ids above every restored one.
    /// </summary>
    private void RestoreConnections(IReadOnlyList<InheritedFileDescriptor> inherited)
    {
        (_inheritedListenFd, var connections) = _inherited.Sort(inherited); // the listening fd is checked by Start
        foreach (var (id, fds) in connections)
        {
            _nextConnectionId = Math.Max(_nextConnectionId, id);
            if (_inherited.Restore(id, fds, _deviceFactory) is { } restored)
            {
                Interlocked.Increment(ref _accepted);
                _restored.Add(restored.Connection);
                Register(restored.Connection, restored.Device);
            }
        }
        _inherited.DeleteOrphanStates(connections.Keys);
    }

    /// <summary>Loop thread (or any thread once the loop is gone): stop accepting and close the listening socket.</summary>
    private void StopListening()
    {
        _listener.StopAccepting(_loop);
        CloseListener();
        _stopped.TrySetResult();
    }

    private void CloseListener()
    {
        lock (_gate)
        {
            _listener.Close();
        }
    }

    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

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
        if (!_refusalLog.Due(Environment.TickCount64))
        {
            return;
        }
        long since = refused - _refusedAtLastLog;
        _refusedAtLastLog = refused;
        _logger.LogWarning(
            "vhost-user server: {Max} connections open (serve:maxConnections), refused {Count} front end(s) since the last warning, {Total} in all",
            _options.MaxConnections, since, refused);
    }

    /// <summary>
    /// Adds the connection and starts it on the loop. When it ends, it leaves the table and its device is disposed on
    /// the ending thread itself (no task or thread-pool item per connection), before its Completion is set.
    /// </summary>
    private void Register(VhostUserConnection connection, IVirtioDevice device)
    {
        lock (_gate)
        {
            _connections.Add(connection.Id, connection);
        }
        connection.Ended = ended =>
        {
            lock (_gate)
            {
                _connections.Remove(ended.Id);
            }
            (device as IDisposable)?.Dispose();
            try
            {
                ConnectionEnded?.Invoke(ended);
            }
            catch (Exception exception)
            {
                _logger.LogError(exception, "vhost-user server: a ConnectionEnded handler failed");
            }
        };
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
}
