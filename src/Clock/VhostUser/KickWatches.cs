using Sync.Clock.Linux.Interop;

namespace Sync.Clock.VhostUser;

/// <summary>
/// A connection's kick eventfds in the loop's epoll set: after every message exactly the running vrings' kick fds are
/// watched (<see cref="Sync"/>), a kick fd leaves the set before it is closed (<see cref="Closing"/>), and all leave when
/// the connection ends. Loop thread only.
/// </summary>
internal sealed class KickWatches
{
    private readonly int[] _fds;

    public KickWatches(int queueCount)
    {
        _fds = new int[queueCount];
        Array.Fill(_fds, -1);
    }

    /// <summary>The kick fd watched for queue q, -1 when none.</summary>
    public int this[int q] => _fds[q];

    /// <summary>Watches exactly the kick fds of the runnable vrings; returns why epoll_ctl failed, or null.</summary>
    public string? Sync(VringTable vrings, VhostUserEventLoop loop, VhostUserConnection connection)
    {
        for (int q = 0; q < vrings.Count; q++)
        {
            int wanted = vrings.IsRunnable(q) && vrings[q].KickFd >= 0 ? vrings[q].KickFd : -1;
            if (_fds[q] == wanted)
            {
                continue;
            }
            if (_fds[q] >= 0)
            {
                loop.Unwatch(_fds[q]);
                _fds[q] = -1;
            }
            if (wanted >= 0)
            {
                if (!loop.Watch(connection, q + 1, wanted))
                {
                    return $"epoll_ctl on the kick fd of queue {q} failed (errno {LibC.LastErrno})";
                }
                _fds[q] = wanted; // a kick that came before the ring ran is reported once when the fd is added
            }
        }
        return null;
    }

    /// <summary>A kick fd is about to be closed (replaced, ring stopped, reset): out of the epoll set first.</summary>
    public void Closing(int q, int fd, VhostUserEventLoop? loop)
    {
        if ((uint)q < (uint)_fds.Length && _fds[q] == fd)
        {
            loop?.Unwatch(fd);
            _fds[q] = -1;
        }
    }

    /// <summary>The connection ends: every kick fd leaves the epoll set.</summary>
    public void UnwatchAll(VhostUserEventLoop loop)
    {
        for (int q = 0; q < _fds.Length; q++)
        {
            if (_fds[q] >= 0)
            {
                loop.Unwatch(_fds[q]);
                _fds[q] = -1;
            }
        }
    }
}
