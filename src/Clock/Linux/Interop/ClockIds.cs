namespace Sync.Clock.Linux.Interop;

/// <summary>clockid_t values (time.h) and the dynamic POSIX clock id of a PHC file descriptor.</summary>
internal static class ClockIds
{
    public const int Realtime = 0;
    public const int Monotonic = 1;
    public const int MonotonicRaw = 4;
    public const int MonotonicCoarse = 6;
    public const int Boottime = 7;
    public const int Tai = 11;

    private const int ClockFd = 3;

    /// <summary>FD_TO_CLOCKID: ((~fd) &lt;&lt; 3) | CLOCKFD.</summary>
    public static int FromFileDescriptor(int fd) => (~fd << 3) | ClockFd;
}
