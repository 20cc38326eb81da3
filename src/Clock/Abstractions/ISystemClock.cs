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
}
