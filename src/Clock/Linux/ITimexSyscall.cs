using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Linux;

/// <summary>
/// clock_adjtime and clock_gettime on CLOCK_REALTIME, as a seam: the real one (<see cref="TimexSyscall"/>) calls libc,
/// tests use a fake that records the timex it is given.
/// </summary>
public interface ITimexSyscall
{
    /// <summary>False unless the daemon runs `sync` with writing enabled: then only modes = 0 may be passed.</summary>
    bool WritesAllowed { get; }

    /// <summary>clock_adjtime(CLOCK_REALTIME, &amp;timex): the clock state (TIME_OK..TIME_ERROR) or -1 with errno set.</summary>
    int ClockAdjtime(ref Timex timex, out int errno);

    /// <summary>clock_gettime(CLOCK_REALTIME): 0 or errno.</summary>
    int ReadRealtime(out long nanoseconds);

    /// <summary>clock_gettime(CLOCK_MONOTONIC): 0 or errno (ENOSYS where not provided).</summary>
    int ReadMonotonic(out long nanoseconds)
    {
        nanoseconds = 0;
        return 38;
    }
}
