using Microsoft.Extensions.Logging;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.VhostUser;

/// <summary>
/// The listening socket (role Listen): bound at the socket path with the configured group and mode, or taken over
/// from the fd store, and watched by the connections' own <see cref="VhostUserEventLoop"/>: accepting is one more
/// event of the one loop thread, not a thread of its own.
/// </summary>
public sealed partial class VhostUserServer
{
    // Many VMs start at once on a host (a reboot): a deep backlog keeps their connects waiting, not failing.
    private const int ListenBacklog = 1024;
    // Accepts per loop wake-up before the loop serves the connections again (the backlog stays readable).
    private const int MaxAcceptsPerWakeup = 64;
    // After accept4 fails for want of fds or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): pause so the loop does not spin.
    private static readonly TimeSpan AcceptPause = TimeSpan.FromMilliseconds(100);

    private int _listenFd = -1;
    private bool _ownsSocketFile;
    private bool _listenerStored;
    private ITimer? _acceptPauseTimer;
    private long _lastAcceptErrorLogMs = long.MinValue;

    /// <summary>Creates the directory, replaces a stale socket file, binds, sets group and mode, listens.</summary>
    private unsafe void Bind(string path, ReadOnlySpan<byte> address)
    {
        string? directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        RemoveStaleSocket(path, address);

        _listenFd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (_listenFd < 0)
        {
            throw new IOException($"socket(AF_UNIX) failed (errno {LibC.LastErrno})");
        }
        fixed (byte* addressPointer = address)
        {
            if (LibC.Bind(_listenFd, addressPointer, (uint)address.Length) != 0)
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

    /// <summary>Makes the listening socket non-blocking and hands it to the loop, which accepts from now on.</summary>
    private void StartAccepting(string path)
    {
        int flags = LibC.Fcntl(_listenFd, LibC.F_GETFL, 0);
        if (flags < 0 || LibC.Fcntl(_listenFd, LibC.F_SETFL, flags | LibC.O_NONBLOCK) != 0)
        {
            int errno = LibC.LastErrno;
            CloseListener();
            throw new IOException($"making the socket on '{path}' non-blocking failed (errno {errno})");
        }
        _started = true;
        _loop!.Post(WatchListener);
        _logger.LogInformation("vhost-user server listening on {Path}", path);
    }

    /// <summary>Loop thread: the listening socket joins the epoll set (again, after a pause).</summary>
    private void WatchListener()
    {
        if (_stopping || _listenFd < 0)
        {
            return;
        }
        if (!_loop!.WatchListener(_listenFd, AcceptPending))
        {
            _logger.LogError("vhost-user server: epoll_ctl on the listening socket failed (errno {Errno}); retrying", LibC.LastErrno);
            PauseAccepting();
        }
    }

    /// <summary>Loop thread: the backlog has front ends; accepts a batch of them without blocking.</summary>
    private unsafe void AcceptPending()
    {
        for (int i = 0; i < MaxAcceptsPerWakeup && !_stopping; i++)
        {
            int clientFd = LibC.Accept4(_listenFd, null, null, LibC.SOCK_CLOEXEC);
            if (clientFd >= 0)
            {
                _ = Serve(clientFd);
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
            long now = Environment.TickCount64;
            if (_lastAcceptErrorLogMs == long.MinValue || now - _lastAcceptErrorLogMs >= (long)_options.RefusalLogInterval.TotalMilliseconds)
            {
                _lastAcceptErrorLogMs = now;
                _logger.LogWarning("vhost-user server: accept failed (errno {Errno}, {Name}); pausing accepts for {Ms} ms (raise LimitNOFILE?)",
                    errno, Errno.Name(errno), AcceptPause.TotalMilliseconds);
            }
            PauseAccepting();
            return;
        }
    }

    private void PauseAccepting()
    {
        _loop!.UnwatchListener();
        _acceptPauseTimer?.Dispose();
        _acceptPauseTimer = TimeProvider.System.CreateTimer(_ => _loop?.Post(WatchListener), null, AcceptPause, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Loop thread (or any thread once the loop is gone): stop accepting and close the listening socket.</summary>
    private void StopListening()
    {
        _acceptPauseTimer?.Dispose();
        _acceptPauseTimer = null;
        _loop?.UnwatchListener(); // before the close: the fd store holds another reference to the socket
        CloseListener();
        _stopped.TrySetResult();
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
