using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sync.Clock.Linux;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// One thread and one epoll set for every connection of a server: the listening socket, each connection's socket and
/// the kick eventfds of its running vrings are in the set, tagged with the connection id and the source. Work from other threads (a new
/// connection, a device notification, a stop) is queued and the loop woken through one eventfd. Handshake and idle
/// deadlines sit in a priority queue (one entry per connection at most), so the loop sleeps until the nearest one,
/// or without a timeout when none applies: idle connections cost no wakeups. The thread asks the scheduler for the
/// shortest slice (<see cref="SchedulingSlice"/>), so a kick wakes it promptly on a busy host, or, when the operator
/// gives it a real-time priority (serve:realtimePriority), runs under SCHED_FIFO: ahead of all normal work.
/// </summary>
internal sealed unsafe class VhostUserEventLoop : IDisposable
{
    private const int MaxEventsPerWait = 256;
    /// <summary>Connections with deferred calls before they are signalled even in the middle of a batch (bounds the delay of the first).</summary>
    private const int MaxDeferredCalls = 16;
    private const ulong WakeTag = ulong.MaxValue;
    private const ulong ListenerTag = ulong.MaxValue - 1;

    private readonly ILogger _logger;
    private readonly int _realtimePriority;
    private readonly int _epollFd;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<Action> _work = new();
    private readonly Dictionary<int, VhostUserConnection> _connections = new();
    private readonly PriorityQueue<Deadline, long> _deadlines = new();
    private readonly List<VhostUserConnection> _callsDue = new(MaxDeferredCalls);
    private readonly object _wakeGate = new();
    private int _wakePending;
    private int _listenerFd = -1;
    private Action? _onListenerReadable;
    private volatile bool _stopping;
    private bool _closed;

    /// <param name="realtimePriority">SCHED_FIFO priority of the loop thread (1-99), or 0: the normal scheduler with the shortest slice.</param>
    public VhostUserEventLoop(ILogger logger, string name, int realtimePriority = 0)
    {
        _logger = logger;
        _realtimePriority = realtimePriority;
        _epollFd = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
        if (_epollFd < 0)
        {
            throw new IOException($"epoll_create1 failed (errno {LibC.LastErrno})");
        }
        _wakeFd = EventFds.Create();
        if (_wakeFd < 0 || LibC.EpollControl(_epollFd, LibC.EPOLL_CTL_ADD, _wakeFd, LibC.EPOLLIN, WakeTag) != 0)
        {
            int errno = LibC.LastErrno;
            LibC.CloseQuietly(_wakeFd);
            LibC.Close(_epollFd);
            throw new IOException($"eventfd for the vhost-user loop failed (errno {errno})");
        }
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>True on the loop's own thread.</summary>
    public bool IsLoopThread => Thread.CurrentThread == _thread;

    /// <summary>
    /// Runs <paramref name="work"/> on the loop thread soon (from any thread). False once the loop has stopped: then
    /// the work never runs.
    /// </summary>
    public bool Post(Action work)
    {
        if (Volatile.Read(ref _closed))
        {
            return false;
        }
        _work.Enqueue(work);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            lock (_wakeGate)
            {
                if (!_closed)
                {
                    EventFds.Signal(_wakeFd);
                }
            }
        }
        return true;
    }

    /// <summary>Watches the listening socket <paramref name="fd"/>; <paramref name="onReadable"/> runs on the loop thread when front ends wait in its backlog. Loop thread only.</summary>
    public bool WatchListener(int fd, Action onReadable)
    {
        UnwatchListener();
        if (LibC.EpollControl(_epollFd, LibC.EPOLL_CTL_ADD, fd, LibC.EPOLLIN, ListenerTag) != 0)
        {
            return false;
        }
        _listenerFd = fd;
        _onListenerReadable = onReadable;
        return true;
    }

    /// <summary>Stops watching the listening socket (before it is closed, or to pause accepting). Loop thread only.</summary>
    public void UnwatchListener()
    {
        if (_listenerFd >= 0)
        {
            Unwatch(_listenerFd);
            _listenerFd = -1;
            _onListenerReadable = null;
        }
    }

    /// <summary>
    /// Watches <paramref name="fd"/> for input, tagged for <paramref name="connection"/> (source 0: socket, q + 1: kick
    /// of queue q). Loop thread only. A kick eventfd is watched edge-triggered and never read (as the kernel's vhost
    /// does): every write by the front end is one event, and serving a kick costs no read(2). Its counter only grows
    /// (by one per kick: 2^64 is never reached). A kick pending when the fd is added is reported once.
    /// </summary>
    public bool Watch(VhostUserConnection connection, int source, int fd)
    {
        _connections[connection.Id] = connection;
        uint events = source == 0 ? LibC.EPOLLIN : LibC.EPOLLIN | LibC.EPOLLET;
        return LibC.EpollControl(_epollFd, LibC.EPOLL_CTL_ADD, fd, events, Tag(connection.Id, source)) == 0;
    }

    /// <summary>
    /// <paramref name="connection"/> published used entries on a kick and its call(s) are due: they are signalled
    /// together at the end of this batch of events (or once <see cref="MaxDeferredCalls"/> connections wait), so a
    /// front end thread that sleeps on several call fds is woken once per batch, not once per READ. Loop thread only;
    /// at most once per connection per batch.
    /// </summary>
    public void DeferCalls(VhostUserConnection connection)
    {
        _callsDue.Add(connection);
        if (_callsDue.Count >= MaxDeferredCalls)
        {
            SignalDeferredCalls();
        }
    }

    /// <summary>Stops watching <paramref name="fd"/>; call before closing it (the store may hold another reference to its file). Loop thread only.</summary>
    public void Unwatch(int fd) => LibC.EpollControl(_epollFd, LibC.EPOLL_CTL_DEL, fd, 0, 0);

    /// <summary>The connection has ended: no more events or deadlines for it. Loop thread only.</summary>
    public void Forget(VhostUserConnection connection) => _connections.Remove(connection.Id);

    /// <summary>
    /// A timeout check of one connection: the queue holds this small object, not the connection, so a connection that
    /// ends before its deadline (a churn of 100,000 short connections) is not kept alive by it until then.
    /// </summary>
    public sealed class Deadline(VhostUserConnection connection)
    {
        public VhostUserConnection? Connection { get; private set; } = connection;

        /// <summary>The connection ended or has a newer deadline: this one does nothing.</summary>
        public void Cancel() => Connection = null;
    }

    /// <summary>Wakes the loop at <paramref name="deadlineMs"/> (Environment.TickCount64) to check the connection's timeouts. Loop thread only.</summary>
    public Deadline ScheduleCheck(VhostUserConnection connection, long deadlineMs)
    {
        var deadline = new Deadline(connection);
        _deadlines.Enqueue(deadline, deadlineMs);
        return deadline;
    }

    /// <summary>Stops the thread (after the connections have ended) and closes the epoll set.</summary>
    public void Dispose()
    {
        _stopping = true;
        Post(static () => { });
        if (!IsLoopThread)
        {
            _thread.Join();
        }
    }

    /// <summary>Microseconds of work per wake-up: SCHED_FIFO if configured, else a short slice that lets a kick preempt CPU-bound work at once.</summary>
    private void RequestScheduling()
    {
        int errno;
        if (_realtimePriority > 0)
        {
            if (SchedulingSlice.TryRequestRealtimeForCurrentThread(_realtimePriority, out errno))
            {
                return;
            }
            _logger.LogWarning(
                "serve:realtimePriority = {Priority}: the vhost-user loop thread may not use SCHED_FIFO (errno {Errno}); give the service "
                + "LimitRTPRIO={Limit} (systemd) or CAP_SYS_NICE, or set serve:realtimePriority = 0. Serving under the normal scheduler",
                _realtimePriority, errno, _realtimePriority);
        }
        if (!SchedulingSlice.TryRequestForCurrentThread(SchedulingSlice.ShortestNs, out errno))
        {
            _logger.LogDebug("vhost-user loop: sched_setattr for a {Us} us slice failed (errno {Errno})", SchedulingSlice.ShortestNs / 1000, errno);
        }
    }

    private static ulong Tag(int id, int source) => ((ulong)(uint)id << 8) | (uint)source;

    private void Run()
    {
        byte* events = stackalloc byte[LibC.EpollEventBytes * MaxEventsPerWait];
        RequestScheduling();
        try
        {
            while (!_stopping)
            {
                int ready = LibC.EpollWait(_epollFd, events, MaxEventsPerWait, TimeoutMs());
                if (ready < 0)
                {
                    if (LibC.LastErrno == Errno.EINTR)
                    {
                        continue;
                    }
                    _logger.LogError("vhost-user loop: epoll_wait failed (errno {Errno})", LibC.LastErrno);
                    break;
                }
                for (int i = 0; i < ready; i++)
                {
                    ulong tag = LibC.EpollData(events, i);
                    if (tag == WakeTag)
                    {
                        EventFds.Drain(_wakeFd);
                        continue;
                    }
                    if (tag == ListenerTag)
                    {
                        AcceptFromListener();
                        continue;
                    }
                    // A connection that ended earlier in this batch is gone; its events are stale.
                    if (_connections.TryGetValue((int)(tag >> 8), out var connection))
                    {
                        Dispatch(connection, (int)(tag & 0xff));
                    }
                }
                SignalDeferredCalls();
                RunPostedWork();
                CheckDeadlines();
            }
        }
        catch (Exception exception)
        {
            _logger.LogCritical(exception, "vhost-user loop failed; no connection is served any more");
        }
        finally
        {
            SignalDeferredCalls();
            RunPostedWork();
            foreach (var connection in _connections.Values.ToArray())
            {
                connection.EndWithLoop(); // normally none: the server ends them before the loop
            }
            lock (_wakeGate)
            {
                _closed = true;
                LibC.CloseQuietly(_wakeFd);
                LibC.CloseQuietly(_epollFd);
            }
        }
    }

    private void AcceptFromListener()
    {
        try
        {
            _onListenerReadable?.Invoke();
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "vhost-user loop: accepting failed");
        }
    }

    private void Dispatch(VhostUserConnection connection, int source)
    {
        try
        {
            if (source == 0)
            {
                connection.OnSocketReadable();
            }
            else
            {
                connection.OnKick(source - 1);
            }
        }
        catch (Exception exception)
        {
            // Untrusted input must never take the process down; log and drop this connection.
            connection.EndOnInternalError(exception);
        }
    }

    /// <summary>Signals the calls deferred in this batch (an ended connection signals nothing: its fds are closed).</summary>
    private void SignalDeferredCalls()
    {
        for (int i = 0; i < _callsDue.Count; i++)
        {
            _callsDue[i].SignalDeferredCalls();
        }
        _callsDue.Clear();
    }

    private void RunPostedWork()
    {
        Volatile.Write(ref _wakePending, 0);
        while (_work.TryDequeue(out var work))
        {
            try
            {
                work();
            }
            catch (Exception exception)
            {
                _logger.LogError(exception, "vhost-user loop: queued work failed");
            }
        }
    }

    private int TimeoutMs()
    {
        if (!_work.IsEmpty)
        {
            return 0;
        }
        // Cancelled checks (their connection ended or has a newer one) need no wake-up: drop them from the head.
        while (_deadlines.TryPeek(out var head, out _) && head.Connection is null)
        {
            _deadlines.Dequeue();
        }
        if (!_deadlines.TryPeek(out _, out long deadline))
        {
            return -1;
        }
        return (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue);
    }

    private void CheckDeadlines()
    {
        long now = Environment.TickCount64;
        while (_deadlines.TryPeek(out var entry, out long deadline) && deadline <= now)
        {
            _deadlines.Dequeue();
            if (entry.Connection is { } connection && _connections.ContainsKey(connection.Id))
            {
                try
                {
                    connection.CheckTimeouts();
                }
                catch (Exception exception)
                {
                    connection.EndOnInternalError(exception);
                }
            }
        }
    }
}
