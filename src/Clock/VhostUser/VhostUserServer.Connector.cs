using Microsoft.Extensions.Logging;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// Role Connect: the back end connects to a listening front end (one at a time), serves that connection on the loop
/// until it ends, and connects again, until stopped. One thread of its own, since it waits between attempts.
/// </summary>
public sealed partial class VhostUserServer
{
    private int _wakeFd = -1;
    private Thread? _connectThread;

    private void StartConnecting(string path)
    {
        _wakeFd = EventFds.Create();
        if (_wakeFd < 0)
        {
            throw new IOException($"eventfd failed (errno {LibC.LastErrno})");
        }
        _started = true;
        _connectThread = new Thread(() => ConnectLoop(path)) { IsBackground = true, Name = "vhost-user-connect" };
        _connectThread.Start();
        _logger.LogInformation("vhost-user back end connecting to the front end at {Path}", path);
    }

    /// <summary>Wakes the connect thread so it sees <see cref="_stopping"/>.</summary>
    private void WakeConnector()
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
}
