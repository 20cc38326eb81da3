using System.Runtime.InteropServices;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Linux;

/// <summary>The real <see cref="IPtpIoctl"/>: a read-only file descriptor on /dev/ptpN and libc calls on it.</summary>
public sealed unsafe class PtpIoctl : IPtpIoctl
{
    private int _fd = -1;

    public bool IsOpen => _fd >= 0;

    public int Open(string path)
    {
        Close();
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) return Marshal.GetLastPInvokeError();
        _fd = fd;
        return 0;
    }

    public void Close()
    {
        if (_fd < 0) return;
        LibC.Close(_fd);
        _fd = -1;
    }

    public int Ioctl(uint request, Span<byte> argument)
    {
        if (_fd < 0) return Errno.ENODEV;
        fixed (byte* pointer = argument)
        {
            return LibC.Ioctl(_fd, request, pointer) < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
    }

    public int ReadDeviceClock(out long nanoseconds)
    {
        nanoseconds = 0;
        if (_fd < 0) return Errno.ENODEV;
        return ReadClock(ClockIds.FromFileDescriptor(_fd), out nanoseconds);
    }

    public int ReadRealtime(out long nanoseconds) => ReadClock(ClockIds.Realtime, out nanoseconds);

    internal static int ReadClock(int clockId, out long nanoseconds)
    {
        Timespec time;
        if (LibC.ClockGettime(clockId, &time) < 0)
        {
            nanoseconds = 0;
            return Marshal.GetLastPInvokeError();
        }
        nanoseconds = time.TotalNanoseconds;
        return 0;
    }

    public void Dispose() => Close();
}
