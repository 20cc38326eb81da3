using System.Buffers;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// Assembles one vhost-user message at a time from a stream socket without ever blocking: each call reads what the
/// socket has (recvmsg with MSG_DONTWAIT, never past the end of the current message, so fds stay with the message
/// they came with) and keeps the progress, so a front end that sends half a message holds only its own connection.
/// fds (SCM_RIGHTS) received with the message's bytes are collected in <see cref="Fds"/>; the payload buffer is
/// rented for the message only (an idle connection holds no buffer).
/// </summary>
internal sealed unsafe class VhostUserMessageReader : IDisposable
{
    /// <summary>More fds than a message may carry (SET_MEM_TABLE: 8) end the connection.</summary>
    public const int MaxFdsPerMessage = UnixStreamChannel.MaxFdsPerMessage;

    private readonly byte[] _headerBytes = new byte[VhostUserHeader.Bytes];
    private int _headerDone;
    private VhostUserHeader _header;
    private byte[]? _payload;
    private int _payloadDone;

    public enum Status { Incomplete, Message, Closed, Failed, TooManyFds, Malformed }

    /// <summary>fds received with the current message; the ones kept by the handler are set to -1 or removed.</summary>
    public List<int> Fds { get; } = new();

    /// <summary>The message just completed (valid after <see cref="Status.Message"/> until <see cref="Release"/>).</summary>
    public VhostUserHeader Header => _header;

    public Span<byte> Payload => _payload is null ? Span<byte>.Empty : _payload.AsSpan(0, (int)_header.Size);

    /// <summary>Why the message is malformed (after <see cref="Status.Malformed"/>), or what was being read.</summary>
    public string Problem { get; private set; } = "";

    /// <summary>Bytes of an unfinished message received so far (0 between messages).</summary>
    public int PartialBytes => _headerDone + _payloadDone;

    /// <summary>errno of the failed recvmsg (after <see cref="Status.Failed"/>).</summary>
    public int Errno { get; private set; }

    /// <summary>Why a read that gave <paramref name="status"/> (neither a message nor incomplete) ends the connection.</summary>
    public string EndReason(Status status) => status switch
    {
        Status.Malformed => Problem,
        Status.Closed => $"front end closed the socket (reading {Problem})",
        Status.TooManyFds => $"too many fds with {Problem}",
        _ => $"socket error reading {Problem} (errno {Errno})",
    };

    /// <summary>
    /// Reads what is there. <see cref="Status.Message"/>: <see cref="Header"/>, <see cref="Payload"/> and
    /// <see cref="Fds"/> hold a whole message (call <see cref="Release"/> when done with it); <see cref="Status.Incomplete"/>:
    /// the socket has nothing more for now.
    /// </summary>
    public Status TryRead(int socketFd)
    {
        while (_headerDone < VhostUserHeader.Bytes)
        {
            var status = Receive(socketFd, _headerBytes.AsSpan(_headerDone), ref _headerDone);
            if (status != Status.Message)
            {
                Problem = "header";
                return status;
            }
        }
        if (_payload is null)
        {
            _header = VhostUserHeader.Read(_headerBytes);
            if ((_header.Flags & VhostUserHeader.VersionMask) != VhostUserHeader.Version1)
            {
                Problem = $"bad version flags 0x{_header.Flags:x} in request {_header.Request}";
                return Status.Malformed;
            }
            if ((_header.Flags & VhostUserHeader.ReplyFlag) != 0)
            {
                Problem = $"reply flag set on request {_header.Request}";
                return Status.Malformed;
            }
            if (_header.Size > VhostUserHeader.MaxPayloadBytes)
            {
                Problem = $"payload of {_header.Size} bytes in request {_header.Request} exceeds {VhostUserHeader.MaxPayloadBytes}";
                return Status.Malformed;
            }
            _payload = _header.Size == 0 ? [] : ArrayPool<byte>.Shared.Rent((int)_header.Size);
        }
        while (_payloadDone < _header.Size)
        {
            var status = Receive(socketFd, _payload.AsSpan(_payloadDone, (int)_header.Size - _payloadDone), ref _payloadDone);
            if (status != Status.Message)
            {
                Problem = $"payload of request {_header.Request}";
                return status;
            }
        }
        return Status.Message;
    }

    /// <summary>Done with the current message: closes the fds nobody kept, returns the buffer, waits for the next header.</summary>
    public void Release()
    {
        foreach (int fd in Fds)
        {
            LibC.CloseQuietly(fd); // -1 for fds kept
        }
        Fds.Clear();
        if (_payload is { Length: > 0 })
        {
            ArrayPool<byte>.Shared.Return(_payload);
        }
        _payload = null;
        _headerDone = 0;
        _payloadDone = 0;
    }

    public void Dispose() => Release();

    /// <summary>One recvmsg into <paramref name="buffer"/>: Message when bytes came (progress advanced), else why not.</summary>
    private Status Receive(int socketFd, Span<byte> buffer, ref int done)
    {
        int controlLength = LibC.CmsgSpace(MaxFdsPerMessage * sizeof(int));
        byte* control = stackalloc byte[controlLength];
        fixed (byte* data = buffer)
        {
            var iov = new LibC.IoVec { Base = data, Length = (nuint)buffer.Length };
            var header = new LibC.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
            nint received;
            do
            {
                received = LibC.RecvMsg(socketFd, &header, LibC.MSG_CMSG_CLOEXEC | LibC.MSG_DONTWAIT);
            }
            while (received < 0 && LibC.LastErrno == Linux.Interop.Errno.EINTR);
            if (received < 0)
            {
                Errno = LibC.LastErrno;
                return Errno == Linux.Interop.Errno.EAGAIN ? Status.Incomplete : Status.Failed;
            }
            UnixStreamChannel.CollectFds(&header, Fds);
            if ((header.Flags & LibC.MSG_CTRUNC) != 0 || Fds.Count > MaxFdsPerMessage)
            {
                return Status.TooManyFds;
            }
            if (received == 0)
            {
                return Status.Closed;
            }
            done += (int)received;
            return Status.Message;
        }
    }
}
