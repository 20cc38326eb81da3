// The libc calls of the vhost-user transport (serve): Unix sockets with SCM_RIGHTS, eventfds, epoll and poll,
// memfds and their seals, file modes and owners. Part of the one libc surface of the product (LibC.cs).
// Linux, 64-bit (x86_64 and arm64 share these layouts unless said otherwise).
using System.Runtime.InteropServices;

namespace Sync.Clock.Linux.Interop;

internal static unsafe partial class LibC
{
    
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_CTRUNC = 0x8;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    public const int MFD_CLOEXEC = 0x1;
    public const int MFD_ALLOW_SEALING = 0x2;

    // memfd seals (fcntl F_ADD_SEALS / F_GET_SEALS, linux/fcntl.h).
    public const int F_ADD_SEALS = 1033;
    public const int F_GET_SEALS = 1034;
    public const int F_SEAL_SEAL = 0x1;
    public const int F_SEAL_SHRINK = 0x2;
    public const int F_SEAL_GROW = 0x4;

    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int O_NONBLOCK = 0x800;
    public const int FD_CLOEXEC = 1;
    public const int F_DUPFD_CLOEXEC = 1030;

    public const int SockaddrUnPathLength = 108;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct cmsghdr header: size_t len; int level; int type (16 bytes on 64-bit).</summary>
    public const int CmsgHeaderSize = 16;

    public static int CmsgSpace(int dataBytes) => CmsgHeaderSize + ((dataBytes + 7) & ~7);

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, byte* address, uint addressLength);

    [LibraryImport(Library, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, uint addressLength);

    [LibraryImport(Library, EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(int fd, int backlog);

    [LibraryImport(Library, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, byte* address, uint* addressLength, int flags);

    [LibraryImport(Library, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Library, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Library, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, byte* address, uint* addressLength);

    /// <summary>True when <paramref name="fd"/> is a Unix socket bound to exactly <paramref name="path"/>.</summary>
    public static bool IsBoundTo(int fd, string path)
    {
        byte* address = stackalloc byte[2 + SockaddrUnPathLength];
        uint length = 2 + SockaddrUnPathLength;
        if (GetSockName(fd, address, &length) != 0 || length <= 2 || *(ushort*)address != AF_UNIX)
        {
            return false;
        }
        var bound = new ReadOnlySpan<byte>(address + 2, (int)Math.Min(length - 2, (uint)SockaddrUnPathLength));
        int end = bound.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? bound : bound.Slice(0, end)) == path;
    }

    [LibraryImport(Library, EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Library, EntryPoint = "dup", SetLastError = true)]
    public static partial int Dup(int fd);

    [LibraryImport(Library, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    [LibraryImport(Library, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    /// <summary>statx(2): the file's status in one layout for every architecture (<see cref="Interop.Statx"/>).</summary>
    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxCall(int dirFd, string path, int flags, uint mask, Statx* buffer);

    /// <summary>The status of an open fd (statx with AT_EMPTY_PATH); false with errno set on failure.</summary>
    public static bool TryStat(int fd, out Statx status)
    {
        fixed (Statx* buffer = &status)
        {
            return StatxCall(fd, "", Statx.AT_EMPTY_PATH, Statx.STATX_TYPE | Statx.STATX_INO | Statx.STATX_SIZE, buffer) == 0;
        }
    }

    /// <summary>The status of the file at path, following symbolic links as stat(2) does; false with errno set on failure.</summary>
    public static bool TryStat(string path, out Statx status)
    {
        fixed (Statx* buffer = &status)
        {
            return StatxCall(Statx.AT_FDCWD, path, 0, Statx.STATX_TYPE | Statx.STATX_INO | Statx.STATX_SIZE, buffer) == 0;
        }
    }

    /// <summary>The device and inode of an open fd: equal for two fds of one file.</summary>
    public static bool TryGetFileIdentity(int fd, out (ulong Device, ulong Inode) identity)
    {
        var ok = TryStat(fd, out var status);
        identity = ok ? status.Identity : default;
        return ok;
    }

    /// <summary>True when <paramref name="path"/> exists and is a socket (S_IFSOCK).</summary>
    public static bool IsSocketFile(string path) => TryStat(path, out var status) && status.FileType == Statx.S_IFSOCK;

    [LibraryImport(Library, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chmod(string path, uint mode);

    // epoll. struct epoll_event is packed on x86_64 and naturally aligned elsewhere (EpollEvent.cs).
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x1;
    public const uint EPOLLET = 1u << 31;
    private static readonly bool EpollEventPackedHere = RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>The size of one struct epoll_event in this process (an epoll_wait buffer holds this many bytes per event).</summary>
    public static readonly int EpollEventBytes = EpollEventPackedHere ? sizeof(EpollEventPacked) : sizeof(EpollEventAligned);

    [LibraryImport(Library, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epollFd, int operation, int fd, void* epollEvent);

    /// <summary>epoll_wait into a buffer of <paramref name="maxEvents"/> × <see cref="EpollEventBytes"/> bytes.</summary>
    [LibraryImport(Library, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epollFd, byte* events, int maxEvents, int timeoutMs);

    /// <summary>epoll_ctl ADD/DEL of <paramref name="fd"/> for <paramref name="events"/>, tagged with <paramref name="data"/>.</summary>
    public static int EpollControl(int epollFd, int operation, int fd, uint events, ulong data)
    {
        if (EpollEventPackedHere)
        {
            var packed = new EpollEventPacked { Events = events, Data = data };
            return EpollCtl(epollFd, operation, fd, &packed);
        }
        var aligned = new EpollEventAligned { Events = events, Data = data };
        return EpollCtl(epollFd, operation, fd, &aligned);
    }

    /// <summary>The data tag of event <paramref name="index"/> in an epoll_wait buffer.</summary>
    public static ulong EpollData(byte* events, int index) =>
        EpollEventPackedHere ? ((EpollEventPacked*)events)[index].Data : ((EpollEventAligned*)events)[index].Data;

    [LibraryImport(Library, EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chown(string path, int owner, int group);

    [LibraryImport(Library, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unlink(string path);

    /// <summary>errno of the last call declared with SetLastError (read it right after the call).</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>Fills a sockaddr_un for <paramref name="path"/>; returns its length, or -1 if the path is too long.</summary>
    public static int FillSockaddrUn(Span<byte> address, string path)
    {
        int count = System.Text.Encoding.UTF8.GetByteCount(path);
        if (count >= SockaddrUnPathLength || address.Length < 2 + SockaddrUnPathLength)
        {
            return -1;
        }
        address.Clear();
        address[0] = AF_UNIX;
        System.Text.Encoding.UTF8.GetBytes(path, address.Slice(2));
        return 2 + count + 1;
    }

    /// <summary>
    /// Fills a sockaddr_un for a systemd-style address: "/path" is a file, "@name" the abstract name "\0name".
    /// Returns its length, or -1 if the address is empty, relative or too long.
    /// </summary>
    public static int FillSockaddrUnOrAbstract(Span<byte> address, string name)
    {
        if (string.IsNullOrEmpty(name) || (name[0] != '/' && name[0] != '@'))
        {
            return -1;
        }
        if (name[0] == '/')
        {
            return FillSockaddrUn(address, name);
        }
        int count = System.Text.Encoding.UTF8.GetByteCount(name) - 1;
        if (count + 1 > SockaddrUnPathLength || address.Length < 2 + SockaddrUnPathLength)
        {
            return -1;
        }
        address.Clear();
        address[0] = AF_UNIX;
        System.Text.Encoding.UTF8.GetBytes(name.AsSpan(1), address.Slice(3));
        return 2 + 1 + count;
    }

    public static void CloseQuietly(int fd)
    {
        if (fd >= 0)
        {
            Close(fd);
        }
    }
}
