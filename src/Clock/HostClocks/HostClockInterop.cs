using System.Runtime.InteropServices;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.HostClocks;

/// <summary>
/// The host clock sources' time calls, through the one libc surface (<see cref="LibC"/>): clock_gettime, and
/// clock_adjtime used strictly as a read-only query (modes = 0) to learn the kernel's TAI offset. Nothing here sets
/// or adjusts a clock.
/// </summary>
internal static unsafe class HostClockInterop
{
    public const int ClockRealtime = ClockIds.Realtime;
    public const int ClockMonotonic = ClockIds.Monotonic;
    public const int ClockMonotonicRaw = ClockIds.MonotonicRaw;
    public const int ClockBoottime = ClockIds.Boottime;
    public const int ClockTai = ClockIds.Tai;

    /// <summary>The clock's reading in nanoseconds; throws if the clock id is not available (configuration error).</summary>
    public static long ReadNanoseconds(int clockId)
    {
        Timespec time;
        if (LibC.ClockGettime(clockId, &time) != 0)
            throw new InvalidOperationException($"clock_gettime({clockId}) failed: errno {Marshal.GetLastPInvokeError()}");
        return time.TotalNanoseconds;
    }

    public static bool IsAvailable(int clockId)
    {
        Timespec time;
        return LibC.ClockGettime(clockId, &time) == 0;
    }

    /// <summary>The kernel's TAI - UTC offset in seconds (0 = not set), or null if the query failed.</summary>
    public static int? ReadKernelTaiOffsetSeconds()
    {
        var timex = new Timex(); // modes = 0: a read-only query that changes nothing
        if (LibC.ClockAdjtime(ClockIds.Realtime, &timex) < 0)
            return null;
        return timex.Tai;
    }
}
