namespace Sync.Clock.Linux;

/// <summary>
/// The system calls a PHC reader makes on one device, as a seam: the real one (<see cref="PtpIoctl"/>) calls libc,
/// tests use a fake. Every call returns 0 or an errno value; nothing throws.
/// </summary>
public interface IPtpIoctl : IDisposable
{
    bool IsOpen { get; }

    /// <summary>open(path, O_RDONLY | O_CLOEXEC).</summary>
    int Open(string path);

    void Close();

    /// <summary>ioctl(fd, request, argument) on the open device; the argument buffer is the ioctl's struct.</summary>
    int Ioctl(uint request, Span<byte> argument);

    /// <summary>clock_gettime on the device's dynamic POSIX clock id ((~fd) &lt;&lt; 3) | 3.</summary>
    int ReadDeviceClock(out long nanoseconds);

    /// <summary>clock_gettime(CLOCK_REALTIME).</summary>
    int ReadRealtime(out long nanoseconds);
}
