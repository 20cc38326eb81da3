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

    [LibraryImport(Library, EntryPoint = "fstat", SetLastError = true)]
    public static partial int Fstat(int fd, byte* statBuffer);

    [LibraryImport(Library, EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Stat(string path, byte* statBuffer);

    /// <summary>st_dev and st_ino of an open fd (offsets 0 and 8 in x86_64's and the generic 64-bit struct stat).</summary>
    public static bool TryGetFileIdentity(int fd, out (ulong Device, ulong Inode) identity)
    {
        byte* buffer = stackalloc byte[256];
        if (Fstat(fd, buffer) != 0)
        {
            identity = default;
            return false;
        }
        identity = (*(ulong*)buffer, *(ulong*)(buffer + 8));
        return true;
    }

    /// <summary>True when <paramref name="path"/> exists and is a socket (S_IFSOCK).</summary>
    public static bool IsSocketFile(string path)
    {
        byte* buffer = stackalloc byte[256];
        if (Stat(path, buffer) != 0)
        {
            return false;
        }
        // st_mode: offset 24 on x86_64 (st_nlink is 64-bit and comes first), 16 in the generic layout (arm64).
        int modeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        uint mode = *(uint*)(buffer + modeOffset);
        return (mode & 0xF000) == 0xC000;
    }

    [LibraryImport(Library, EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chmod(string path, uint mode);

    // epoll. struct epoll_event is packed on x86_64 (12 bytes, data at 4) and naturally aligned elsewhere (16, data at 8).
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x1;
    public const uint EPOLLET = 1u << 31;
    public static readonly int EpollEventBytes = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(Library, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epollFd, int operation, int fd, byte* epollEvent);

    [LibraryImport(Library, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epollFd, byte* events, int maxEvents, int timeoutMs);

    /// <summary>epoll_ctl ADD/DEL of <paramref name="fd"/> for <paramref name="events"/>, tagged with <paramref name="data"/>.</summary>
    public static unsafe int EpollControl(int epollFd, int operation, int fd, uint events, ulong data)
    {
        byte* buffer = stackalloc byte[16];
        *(uint*)buffer = events;
        *(ulong*)(buffer + EpollDataOffset) = data;
        return EpollCtl(epollFd, operation, fd, buffer);
    }

    /// <summary>The data tag of event <paramref name="index"/> in an epoll_wait buffer.</summary>
    public static ulong EpollData(byte* events, int index) => *(ulong*)(events + index * EpollEventBytes + EpollDataOffset);

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
