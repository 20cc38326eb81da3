using System.Runtime.InteropServices;

namespace Sync.Clock.HostClocks;

/// <summary>
/// libc time calls for the host clock sources: clock_gettime, and clock_adjtime used strictly as a read-only
/// query (modes = 0) to learn the kernel's TAI offset. Nothing here sets or adjusts a clock.
/// </summary>
internal static unsafe partial class HostClockInterop
{
    public const int ClockRealtime = 0;
    public const int ClockMonotonic = 1;
    public const int ClockMonotonicRaw = 4;
    public const int ClockBoottime = 7;
    public const int ClockTai = 11;

    private const int TimexSize = 208;
    private const int TimexTaiOffset = 160;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGetTime(int clockId, Timespec* time);

    [LibraryImport("libc", EntryPoint = "clock_adjtime", SetLastError = true)]
    private static partial int ClockAdjTime(int clockId, byte* timex);

    /// <summary>The clock's reading in nanoseconds; throws if the clock id is not available (configuration error).</summary>
    public static long ReadNanoseconds(int clockId)
    {
        Timespec time;
        if (ClockGetTime(clockId, &time) != 0)
            throw new InvalidOperationException($"clock_gettime({clockId}) failed: errno {Marshal.GetLastPInvokeError()}");
        return time.Seconds * 1_000_000_000L + time.Nanoseconds;
    }

    public static bool IsAvailable(int clockId)
    {
        Timespec time;
        return ClockGetTime(clockId, &time) == 0;
    }

    /// <summary>The kernel's TAI - UTC offset in seconds (0 = not set), or null if the query failed.</summary>
    public static int? ReadKernelTaiOffsetSeconds()
    {
        byte* timex = stackalloc byte[TimexSize];
        new Span<byte>(timex, TimexSize).Clear(); // modes = 0: a read-only query that changes nothing
        if (ClockAdjTime(ClockRealtime, timex) < 0)
            return null;
        return *(int*)(timex + TimexTaiOffset);
    }
}
