using Sync.Clock.Linux.Interop;
namespace Sync.Clock.VhostUser.Native;

/// <summary>
/// Blocking reads/writes on a connected Unix stream socket fd with SCM_RIGHTS fds, interruptible through a
/// wake eventfd. Used by the server connection and by the test front end. Does not own the fds it is given.
/// </summary>
internal sealed unsafe class UnixStreamChannel
{
    public const int MaxFdsPerMessage = 8;

    private readonly int _socketFd;
    private readonly int _wakeFd;
    private readonly Func<bool> _stopRequested;

    public UnixStreamChannel(int socketFd, int wakeFd, Func<bool> stopRequested)
    {
        _socketFd = socketFd;
        _wakeFd = wakeFd;
        _stopRequested = stopRequested;
    }

    public enum ReceiveStatus { Ok, Closed, Stopped, Failed, TooManyFds }

    /// <summary>Reads exactly buffer.Length bytes; fds arriving with them are appended to <paramref name="fds"/> (caller closes them).</summary>
    public ReceiveStatus ReceiveExact(Span<byte> buffer, List<int> fds)
    {
        int done = 0;
        byte* control = stackalloc byte[LibC.CmsgSpace(MaxFdsPerMessage * sizeof(int))];
        int controlLength = LibC.CmsgSpace(MaxFdsPerMessage * sizeof(int));
        while (done < buffer.Length)
        {
            var wait = WaitReadable();
            if (wait != ReceiveStatus.Ok)
            {
                return wait;
            }
            fixed (byte* data = buffer)
            {
                var iov = new LibC.IoVec { Base = data + done, Length = (nuint)(buffer.Length - done) };
                var header = new LibC.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
                nint received = LibC.RecvMsg(_socketFd, &header, LibC.MSG_CMSG_CLOEXEC);
                if (received < 0)
                {
                    int errno = LibC.LastErrno;
                    if (errno == Errno.EINTR || errno == Errno.EAGAIN)
                    {
                        continue;
                    }
                    return ReceiveStatus.Failed;
                }
                CollectFds(&header, fds);
                if ((header.Flags & LibC.MSG_CTRUNC) != 0)
                {
                    return ReceiveStatus.TooManyFds;
                }
                if (received == 0)
                {
                    return ReceiveStatus.Closed;
                }
                done += (int)received;
            }
        }
        return ReceiveStatus.Ok;
    }

    /// <summary>Sends all of <paramref name="data"/>, with <paramref name="fds"/> attached to the first chunk.</summary>
    public bool SendAll(ReadOnlySpan<byte> data, ReadOnlySpan<int> fds = default)
    {
        if (fds.Length > MaxFdsPerMessage)
        {
            return false;
        }
        int controlLength = fds.IsEmpty ? 0 : LibC.CmsgSpace(fds.Length * sizeof(int));
        byte* control = stackalloc byte[LibC.CmsgSpace(MaxFdsPerMessage * sizeof(int))];
        if (!fds.IsEmpty)
        {
            new Span<byte>(control, controlLength).Clear();
            *(nuint*)control = (nuint)(LibC.CmsgHeaderSize + fds.Length * sizeof(int));
            *(int*)(control + 8) = LibC.SOL_SOCKET;
            *(int*)(control + 12) = LibC.SCM_RIGHTS;
            for (int i = 0; i < fds.Length; i++)
            {
                ((int*)(control + LibC.CmsgHeaderSize))[i] = fds[i];
            }
        }
        int done = 0;
        while (done < data.Length || (done == 0 && data.IsEmpty))
        {
            fixed (byte* bytes = data)
            {
                var iov = new LibC.IoVec { Base = bytes + done, Length = (nuint)(data.Length - done) };
                var header = new LibC.MsgHdr
                {
                    Iov = &iov,
                    IovLength = 1,
                    Control = done == 0 && controlLength > 0 ? control : null,
                    ControlLength = done == 0 ? (nuint)controlLength : 0,
                };
                nint sent = LibC.SendMsg(_socketFd, &header, LibC.MSG_NOSIGNAL);
                if (sent < 0)
                {
                    if (LibC.LastErrno == Errno.EINTR)
                    {
                        continue;
                    }
                    return false;
                }
                done += (int)sent;
                if (data.IsEmpty)
                {
                    return true;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// Sends all of <paramref name="data"/> in one sendmsg without blocking (MSG_DONTWAIT); false with the errno
    /// (EAGAIN: the peer's socket buffer is full) when it did not all go.
    /// </summary>
    public static bool TrySendNow(int socketFd, ReadOnlySpan<byte> data, out int errno)
    {
        fixed (byte* bytes = data)
        {
            var iov = new LibC.IoVec { Base = bytes, Length = (nuint)data.Length };
            var header = new LibC.MsgHdr { Iov = &iov, IovLength = 1 };
            nint sent;
            do
            {
                sent = LibC.SendMsg(socketFd, &header, LibC.MSG_NOSIGNAL | LibC.MSG_DONTWAIT);
            }
            while (sent < 0 && LibC.LastErrno == Errno.EINTR);
            errno = sent < 0 ? LibC.LastErrno : sent == data.Length ? 0 : Errno.EAGAIN;
            return sent == data.Length;
        }
    }

    private ReceiveStatus WaitReadable()
    {
        var polls = stackalloc LibC.PollFd[2];
        while (true)
        {
            if (_stopRequested())
            {
                return ReceiveStatus.Stopped;
            }
            polls[0] = new LibC.PollFd { Fd = _socketFd, Events = LibC.POLLIN };
            polls[1] = new LibC.PollFd { Fd = _wakeFd, Events = LibC.POLLIN };
            int count = LibC.Poll(polls, _wakeFd >= 0 ? 2u : 1u, -1);
            if (count < 0)
            {
                if (LibC.LastErrno == Errno.EINTR)
                {
                    continue;
                }
                return ReceiveStatus.Failed;
            }
            if (_wakeFd >= 0 && (polls[1].Revents & LibC.POLLIN) != 0)
            {
                EventFds.Drain(_wakeFd);
                continue;
            }
            if (polls[0].Revents != 0)
            {
                return ReceiveStatus.Ok;
            }
        }
    }

    internal static void CollectFds(LibC.MsgHdr* header, List<int> fds)
    {
        byte* cursor = (byte*)header->Control;
        byte* end = cursor + (long)header->ControlLength;
        while (cursor != null && cursor + LibC.CmsgHeaderSize <= end)
        {
            long length = (long)*(nuint*)cursor;
            if (length < LibC.CmsgHeaderSize || cursor + length > end)
            {
                break;
            }
            int level = *(int*)(cursor + 8);
            int type = *(int*)(cursor + 12);
            if (level == LibC.SOL_SOCKET && type == LibC.SCM_RIGHTS)
            {
                int count = (int)((length - LibC.CmsgHeaderSize) / sizeof(int));
                for (int i = 0; i < count; i++)
                {
                    fds.Add(((int*)(cursor + LibC.CmsgHeaderSize))[i]);
                }
            }
            cursor += (length + 7) & ~7L;
        }
    }
}
