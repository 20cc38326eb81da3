using Microsoft.Extensions.Logging;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// Role Connect: the back end connects to a listening front end (one at a time), serves that connection on the loop
/// until it ends, and connects again, until stopped. One thread of its own, since it waits between attempts; an eventfd
/// wakes it for a stop.
/// </summary>
/// <param name="path">The front end's socket.</param>
/// <param name="serve">Serves a connected socket (the server's accounting and the loop); null when it was refused.</param>
/// <param name="stopping">True once the server stops.</param>
internal sealed class FrontEndConnector(string path, VhostUserServerOptions options, ILogger logger,
    Func<int, VhostUserConnection?> serve, Func<bool> stopping)
{
    private readonly object _gate = new();
    private int _wakeFd = -1;
    private Thread? _thread;

    /// <summary>
    /// Starts the thread: it waits for each restored connection to end first, then connects; <paramref name="finished"/>
    /// runs on it when it stops.
    /// </summary>
    /// <exception cref="IOException">No eventfd.</exception>
    public void Start(IReadOnlyList<VhostUserConnection> restored, Action finished)
    {
        _wakeFd = EventFds.Create();
        if (_wakeFd < 0)
        {
            throw new IOException($"eventfd failed (errno {LibC.LastErrno})");
        }
        _thread = new Thread(() => ConnectLoop(restored, finished)) { IsBackground = true, Name = "vhost-user-connect" };
        _thread.Start();
        logger.LogInformation("vhost-user back end connecting to the front end at {Path}", path);
    }

    /// <summary>Wakes the thread so it sees the stop.</summary>
    public void Wake()
    {
        lock (_gate)
        {
            if (_wakeFd >= 0)
            {
                EventFds.Signal(_wakeFd);
            }
        }
    }

    /// <summary>Connects to a listening front end, serves the connection until it ends, and connects again, until stopped.</summary>
    private unsafe void ConnectLoop(IReadOnlyList<VhostUserConnection> restored, Action finished)
    {
        Span<byte> address = stackalloc byte[2 + LibC.SockaddrUnPathLength];
        int addressLength = LibC.FillSockaddrUn(address, path);
        int retryMs = Math.Max(1, (int)options.ReconnectInterval.TotalMilliseconds);
        int lastErrno = 0;
        try
        {
            foreach (var connection in restored)
            {
                // One front end at a time in this role: the restored connection first.
                WaitForEndOrStop(connection);
            }
            while (!stopping())
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
                    var connection = serve(fd);
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
                        logger.LogWarning("vhost-user back end: connecting to {Path} failed (errno {Errno}); retrying every {Ms} ms", path, errno, retryMs);
                        lastErrno = errno;
                    }
                }
                if (!stopping())
                {
                    WaitForWake(retryMs);
                }
            }
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "vhost-user back end: connect loop failed");
        }
        finally
        {
            lock (_gate)
            {
                LibC.CloseQuietly(_wakeFd);
                _wakeFd = -1;
            }
            finished();
        }
    }

    /// <summary>Sleeps until the connection ends (its end wakes the thread) or the server stops: nothing polls meanwhile.</summary>
    private void WaitForEndOrStop(VhostUserConnection connection)
    {
        connection.Completion.ContinueWith(_ => Wake(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        while (!stopping() && !connection.Completion.IsCompleted)
        {
            WaitForWake(Timeout.Infinite);
        }
    }

    /// <summary>Waits for a wake (or the timeout) and consumes it, so the next wait sleeps again.</summary>
    private unsafe void WaitForWake(int timeoutMs)
    {
        var poll = new LibC.PollFd { Fd = _wakeFd, Events = LibC.POLLIN };
        if (LibC.Poll(&poll, 1, timeoutMs) > 0)
        {
            EventFds.Drain(_wakeFd);
        }
    }
}
