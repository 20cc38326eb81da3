using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// sd_notify's file descriptor store without libsystemd: one datagram per fd to $NOTIFY_SOCKET ("/path" or
/// "@abstract"), "FDSTORE=1\nFDNAME=name" with the fd as SCM_RIGHTS, and "FDSTOREREMOVE=1\nFDNAME=name" to drop
/// every fd of that name. The unit needs FileDescriptorStoreMax= (and FileDescriptorStorePreserve=yes to keep
/// them over a stop). Thread-safe (each message is one sendmsg on a datagram socket).
/// </summary>
public sealed unsafe class SystemdFileDescriptorStore : IFileDescriptorStore, IDisposable
{
    private readonly byte[] _address;
    private readonly int _addressLength;
    private readonly ILogger _logger;
    private int _socketFd;
    private long _failures;

    private SystemdFileDescriptorStore(byte[] address, int addressLength, int socketFd, ILogger logger)
    {
        _address = address;
        _addressLength = addressLength;
        _socketFd = socketFd;
        _logger = logger;
        NotifySocket = "";
    }

    public string NotifySocket { get; private init; }

    public long SendFailures => Interlocked.Read(ref _failures);

    /// <summary>
    /// A store on <paramref name="notifySocket"/> ("/path" or "@abstract"; $NOTIFY_SOCKET as the daemon's
    /// SystemdEnvironment read it), or null when it is empty or malformed.
    /// </summary>
    public static SystemdFileDescriptorStore? Create(string? notifySocket, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        if (string.IsNullOrEmpty(notifySocket))
        {
            return null;
        }
        var address = new byte[2 + LibC.SockaddrUnPathLength];
        int length = LibC.FillSockaddrUnOrAbstract(address, notifySocket);
        if (length < 0)
        {
            logger.LogWarning("NOTIFY_SOCKET '{Socket}' is not a usable Unix socket address; no file descriptor store", notifySocket);
            return null;
        }
        int fd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            logger.LogWarning("socket(AF_UNIX, SOCK_DGRAM) failed (errno {Errno}); no file descriptor store", LibC.LastErrno);
            return null;
        }
        return new SystemdFileDescriptorStore(address, length, fd, logger) { NotifySocket = notifySocket };
    }

    public void Store(string name, int fd) => Send($"FDSTORE=1\nFDNAME={name}", fd);

    public void Remove(string name) => Send($"FDSTOREREMOVE=1\nFDNAME={name}", -1);

    private void Send(string message, int fd)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(message);
        int controlLength = LibC.CmsgSpace(sizeof(int));
        byte* control = stackalloc byte[controlLength];
        new Span<byte>(control, controlLength).Clear();
        *(nuint*)control = (nuint)(LibC.CmsgHeaderSize + sizeof(int));
        *(int*)(control + 8) = LibC.SOL_SOCKET;
        *(int*)(control + 12) = LibC.SCM_RIGHTS;
        *(int*)(control + LibC.CmsgHeaderSize) = fd;
        nint sent;
        fixed (byte* data = bytes)
        fixed (byte* address = _address)
        {
            var iov = new LibC.IoVec { Base = data, Length = (nuint)bytes.Length };
            var header = new LibC.MsgHdr
            {
                Name = address,
                NameLength = (uint)_addressLength,
                Iov = &iov,
                IovLength = 1,
                Control = fd >= 0 ? control : null,
                ControlLength = fd >= 0 ? (nuint)controlLength : 0,
            };
            do
            {
                sent = LibC.SendMsg(Volatile.Read(ref _socketFd), &header, LibC.MSG_NOSIGNAL);
            }
            while (sent < 0 && LibC.LastErrno == Errno.EINTR);
        }
        if (sent < 0)
        {
            Interlocked.Increment(ref _failures);
            _logger.LogWarning("file descriptor store: sending '{Message}' to {Socket} failed (errno {Errno})",
                message.Replace('\n', ' '), NotifySocket, LibC.LastErrno);
        }
    }

    public void Dispose() => LibC.CloseQuietly(Interlocked.Exchange(ref _socketFd, -1));
}
