using Sync.Clock.Linux.Interop;
using Sync.Filters.Time;

namespace Sync.Clock.Linux;

/// <summary>CLOCK_MONOTONIC_COARSE as a seam: the clock ClockBound's as-of and void-after are written on.</summary>
public interface IMonotonicCoarseClock
{
    Instant<Monotonic> Now();
}

/// <summary>
/// clock_gettime(CLOCK_MONOTONIC_COARSE): the monotonic clock at the last tick (1-10 ms resolution), read without
/// touching the counter. ClockBound clients read the same clock to age a published bound.
/// </summary>
public sealed unsafe class MonotonicCoarseClock : IMonotonicCoarseClock
{
    public static readonly MonotonicCoarseClock Instance = new();

    public Instant<Monotonic> Now()
    {
        Timespec ts;
        if (LibC.ClockGettime(ClockIds.MonotonicCoarse, &ts) != 0)
            throw new InvalidOperationException($"clock_gettime(CLOCK_MONOTONIC_COARSE): {Errno.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
        return new Instant<Monotonic>(ts.TotalNanoseconds);
    }
}
