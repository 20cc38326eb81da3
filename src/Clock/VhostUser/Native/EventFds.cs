using Sync.Clock.Linux.Interop;
namespace Sync.Clock.VhostUser.Native;

/// <summary>eventfd helpers: create, signal (add 1), drain (read the counter), and check an fd really is one.</summary>
internal static unsafe class EventFds
{
    public static int Create() => LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);

    public static bool Signal(int fd)
    {
        ulong one = 1;
        return LibC.Write(fd, &one, 8) == 8;
    }

    /// <summary>Reads the counter; returns it, or 0 when nothing was pending or the read failed.</summary>
    public static ulong Drain(int fd)
    {
        ulong value = 0;
        return LibC.Read(fd, &value, 8) == 8 ? value : 0;
    }

    /// <summary>Sets O_NONBLOCK on a front end's eventfd (QEMU creates them non-blocking anyway); false if fcntl failed.</summary>
    public static bool MakeNonBlocking(int fd)
    {
        int flags = LibC.Fcntl(fd, LibC.F_GETFL, 0);
        return flags >= 0 && ((flags & LibC.O_NONBLOCK) != 0 || LibC.Fcntl(fd, LibC.F_SETFL, flags | LibC.O_NONBLOCK) == 0);
    }

    /// <summary>True when <paramref name="fd"/> is an eventfd (a front end could pass a file or pipe instead).</summary>
    public static bool IsEventFd(int fd)
    {
        try
        {
            var target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
            return target == "anon_inode:[eventfd]";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
