using System.Runtime.InteropServices;

namespace Sync.Clock.Linux.Interop;

/// <summary>
/// Every libc call of the product, in one place (Sync.Clock.Linux; internal, visible to Sync.Clock.HostClocks and
/// Sync.Clock.VhostUser): this file for the clock code (guest PHCs and system clock, vmclock, host clock sources) and
/// group names, LibC.VhostUser.cs for serve's sockets, eventfds, epoll, memfds and file status (statx),
/// LibC.Scheduling.cs for scheduler attributes. Each returns -1 (or MAP_FAILED, or null) on failure and sets errno;
/// read it with <see cref="Marshal.GetLastPInvokeError"/> right after the call.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    public const int O_RDONLY = 0;
    public const int O_CLOEXEC = 0x80000;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;

    [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>ioctl(fd, request, arg): request is unsigned long on Linux.</summary>
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Library, EntryPoint = "clock_gettime", SetLastError = true)]
    public static partial int ClockGettime(int clockId, Timespec* time);

    /// <summary>clock_adjtime(clockid, struct timex*): returns the clock state (TIME_OK...) or -1.</summary>
    [LibraryImport(Library, EntryPoint = "clock_adjtime", SetLastError = true)]
    public static partial int ClockAdjtime(int clockId, Timex* buffer);

    [LibraryImport(Library, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Library, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    public static readonly nint MapFailed = -1;

    /// <summary>struct group (grp.h) on 64-bit Linux: gr_name, gr_passwd, gr_gid, gr_mem.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Group
    {
        public byte* Name;
        public byte* Password;
        public uint Gid;
        public byte** Members;
    }

    /// <summary>getgrnam(3): the group (static storage of libc, read it at once), or null when the group is unknown
    /// (NSS groups included).</summary>
    [LibraryImport(Library, EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
    public static partial Group* GetGroupByName(string name);
}
