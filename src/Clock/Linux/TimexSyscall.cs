using System.Runtime.InteropServices;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Linux;

/// <summary>
/// The real <see cref="ITimexSyscall"/>. Created read-only unless writesAllowed is true: then it refuses (EPERM)
/// any clock_adjtime whose modes are not 0, so nothing writes the machine's clock by accident.
/// </summary>
public sealed unsafe class TimexSyscall(bool writesAllowed = false) : ITimexSyscall
{
    public bool WritesAllowed { get; } = writesAllowed;

    public int ClockAdjtime(ref Timex timex, out int errno)
    {
        if (timex.Modes != 0 && !WritesAllowed)
        {
            errno = Errno.EPERM;
            return -1;
        }
        int state;
        fixed (Timex* pointer = &timex)
        {
            state = LibC.ClockAdjtime(ClockIds.Realtime, pointer);
        }
        errno = state < 0 ? Marshal.GetLastPInvokeError() : 0;
        return state;
    }

    public int ReadRealtime(out long nanoseconds) => PtpIoctl.ReadClock(ClockIds.Realtime, out nanoseconds);

    public int ReadMonotonic(out long nanoseconds) => PtpIoctl.ReadClock(ClockIds.Monotonic, out nanoseconds);
}
