using Microsoft.Extensions.Logging;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.VhostUser;

/// <summary>
/// The listening socket of role Listen and its socket file: bound at the socket path with the configured group and mode
/// (a stale socket file is replaced, a live server's is refused), or the previous process's socket taken over from the
/// fd store (<see cref="Adopt"/>). With an fd store it is stored there too (<see cref="Store"/>): it outlives this
/// process, so front ends connecting while no process runs wait in its backlog, and the socket file stays. Accepting
/// (<see cref="StartAccepting"/>) is one more event of the connections' own <see cref="VhostUserEventLoop"/>, not a
/// thread of its own.
/// </summary>
internal sealed unsafe class ListeningSocket(VhostUserServerOptions options, ILogger logger)
{
    /// <summary>Store name of the listening socket.</summary>
    public const string StoreName = "listen";

    // Many VMs start at once on a host (a reboot): a deep backlog keeps their connects waiting, not failing.
    private const int ListenBacklog = 1024;

    // Accepts per loop wake-up before the loop serves the connections again (the backlog stays readable).
    private const int MaxAcceptsPerWakeup = 64;
    // After accept4 fails for want of fds or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): pause so the loop does not spin.
    private static readonly TimeSpan AcceptPause = TimeSpan.FromMilliseconds(100);

    private readonly LogLimiter _acceptErrorLog = new(options.RefusalLogInterval);
    private bool _ownsSocketFile;
    private bool _stored;
    private Func<VhostUserEventLoop?> _loop = () => null;
    private Func<int, VhostUserConnection?> _serve = _ => null;
    private Func<bool> _stopping = () => true;
    private ITimer? _acceptPauseTimer;

    /// <summary>The socket, -1 when there is none (not yet bound, or closed).</summary>
    public int Fd { get; private set; } = -1;

    /// <summary>Creates the directory, replaces a stale socket file, binds, sets group and mode, listens.</summary>
    /// <exception cref="IOException">The path is in use by a live server, is not a socket, or cannot be bound.</exception>
    public void Bind(string path, ReadOnlySpan<byte> address)
    {
        string? directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        RemoveStaleSocket(path, address);

        Fd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (Fd < 0)
        {
            throw new IOException($"socket(AF_UNIX) failed (errno {LibC.LastErrno})");
        }
        fixed (byte* addressPointer = address)
        {
            if (LibC.Bind(Fd, addressPointer, (uint)address.Length) != 0)
            {
                int errno = LibC.LastErrno;
                Close();
                throw new IOException($"bind to '{path}' failed (errno {errno})");
            }
        }
        _ownsSocketFile = true;
        if (options.SocketGroupId >= 0 && LibC.Chown(path, -1, options.SocketGroupId) != 0)
        {
            int errno = LibC.LastErrno;
            Close();
            throw new IOException($"giving '{path}' group {options.SocketGroupId} failed (errno {errno}): the process must be in that group "
                + "(SupplementaryGroups= in the unit) or root");
        }
        if (LibC.Chmod(path, (uint)options.SocketMode) != 0 || LibC.Listen(Fd, ListenBacklog) != 0)
        {
            int errno = LibC.LastErrno;
            Close();
            throw new IOException($"chmod/listen on '{path}' failed (errno {errno})");
        }
    }

    /// <summary>The previous process's listening socket (checked by the caller): front ends that connected meanwhile wait in its backlog.</summary>
    public void Adopt(int fd)
    {
        Fd = fd;
        _ownsSocketFile = true;
    }

    /// <summary>With an fd store, the socket goes there as <see cref="StoreName"/> (replacing what was stored).</summary>
    public void Store()
    {
        if (options.FileDescriptorStore is { } store)
        {
            store.Remove(StoreName);
            store.Store(StoreName, Fd);
            _stored = true;
        }
    }

    private void MakeNonBlocking(string path)
    {
        int flags = LibC.Fcntl(Fd, LibC.F_GETFL, 0);
        if (flags < 0 || LibC.Fcntl(Fd, LibC.F_SETFL, flags | LibC.O_NONBLOCK) != 0)
        {
            int errno = LibC.LastErrno;
            Close();
            throw new IOException($"making the socket on '{path}' non-blocking failed (errno {errno})");
        }
    }

    /// <summary>
    /// Makes the socket non-blocking and hands it to the loop, which accepts from now on: each front end goes to
    /// <paramref name="serve"/> until <paramref name="stopping"/>.
    /// </summary>
    /// <exception cref="IOException">fcntl failed (the socket is closed).</exception>
    public void StartAccepting(string path, Func<VhostUserEventLoop?> loop, Func<int, VhostUserConnection?> serve, Func<bool> stopping)
    {
        MakeNonBlocking(path);
        _loop = loop;
        _serve = serve;
        _stopping = stopping;
        _loop()!.Post(WatchListener);
        logger.LogInformation("vhost-user server listening on {Path}", path);
    }

    /// <summary>Stops accepting (on <paramref name="loop"/>, the loop thread, or any thread once the loop is gone); the socket stays open.</summary>
    public void StopAccepting(VhostUserEventLoop? loop)
    {
        _acceptPauseTimer?.Dispose();
        _acceptPauseTimer = null;
        loop?.UnwatchListener(); // before the close: the fd store holds another reference to the socket
    }

    /// <summary>Loop thread: the listening socket joins the epoll set (again, after a pause).</summary>
    private void WatchListener()
    {
        if (_stopping() || Fd < 0)
        {
            return;
        }
        if (!_loop()!.WatchListener(Fd, AcceptPending))
        {
            logger.LogError("vhost-user server: epoll_ctl on the listening socket failed (errno {Errno}); retrying", LibC.LastErrno);
            PauseAccepting();
        }
    }

    /// <summary>Loop thread: the backlog has front ends; accepts a batch of them without blocking.</summary>
    private void AcceptPending()
    {
        for (int i = 0; i < MaxAcceptsPerWakeup && !_stopping(); i++)
        {
            int clientFd = LibC.Accept4(Fd, null, null, LibC.SOCK_CLOEXEC);
            if (clientFd >= 0)
            {
                _ = _serve(clientFd);
                continue;
            }
            int errno = LibC.LastErrno;
            if (errno == Errno.EAGAIN)
            {
                return; // backlog empty
            }
            if (errno is Errno.EINTR or Errno.ECONNABORTED)
            {
                continue;
            }
            // Out of fds or memory: the backlog stays readable, so level-triggered epoll would spin the loop.
            if (_acceptErrorLog.Due(Environment.TickCount64))
            {
                logger.LogWarning("vhost-user server: accept failed (errno {Errno}, {Name}); pausing accepts for {Ms} ms (raise LimitNOFILE?)",
                    errno, Errno.Name(errno), AcceptPause.TotalMilliseconds);
            }
            PauseAccepting();
            return;
        }
    }

    private void PauseAccepting()
    {
        _loop()!.UnwatchListener();
        _acceptPauseTimer?.Dispose();
        _acceptPauseTimer = TimeProvider.System.CreateTimer(_ => _loop()?.Post(WatchListener), null, AcceptPause, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Closes the socket; the socket file goes too unless the fd store keeps the socket for the next process.</summary>
    public void Close()
    {
        LibC.CloseQuietly(Fd);
        Fd = -1;
        if (_ownsSocketFile && !_stored)
        {
            LibC.Unlink(Path.GetFullPath(options.SocketPath));
            _ownsSocketFile = false;
        }
    }

    private void RemoveStaleSocket(string path, ReadOnlySpan<byte> address)
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
        logger.LogInformation("vhost-user server: removed stale socket {Path}", path);
    }
}
