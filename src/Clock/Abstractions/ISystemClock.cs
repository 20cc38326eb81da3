using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Clock.Abstractions;

/// <summary>
/// The clock the daemon steers (CLOCK_REALTIME via clock_adjtime, or a simulated guest clock). The sync core
/// cannot tell the two apart.
/// </summary>
public interface ISystemClock
{
    Instant<Utc> Now();
    ClockResult<KernelClockState> ReadState();
    ClockResult<KernelClockState> Apply(ClockCommand command);

    /// <summary>
    /// CLOCK_REALTIME - CLOCK_MONOTONIC now, and how uncertain that is (half the time between the two monotonic reads
    /// around the realtime read). Only a step changes it (clock_settime, ADJ_SETOFFSET, a leap second): slews and
    /// frequency changes move both clocks alike. Lets an observer see another program's steps exactly. Null where it
    /// cannot be read.
    /// </summary>
    (Duration Value, Duration Uncertainty)? StepOffset() => null;
}
