using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// The kernel adds 500 us to maxerror at every whole second after it was written (the NTP frequency tolerance).
/// Between updates the engine rewrites it with the current bound on the first reading after each whole second, so
/// what adjtimex shows exceeds the bound by 500 us for at most one read interval a second. This remembers the whole
/// second in which maxerror was last written.
/// </summary>
internal sealed class MaxErrorSchedule
{
    private long _lastWrittenSecond = long.MinValue;

    /// <summary>True when maxerror was not written yet in the whole second of <paramref name="at"/>.</summary>
    public bool IsDue(Instant<Utc> at) => SecondOf(at) != _lastWrittenSecond;

    /// <summary>The command, unchanged; notes the second when it writes maxerror.</summary>
    public ClockCommand Written(ClockCommand command, Instant<Utc> at)
    {
        if (command.MaxError is not null)
            _lastWrittenSecond = SecondOf(at);
        return command;
    }

    private static long SecondOf(Instant<Utc> at) =>
        Math.DivRem(at.Nanoseconds, Duration.NanosecondsPerSecond, out var rem) - (rem < 0 ? 1 : 0);
}
