using Sync.Filters.Time;

namespace Sync.Clock.Abstractions;

/// <summary>A clock the host-side device serves: its scale and its current reading in nanoseconds.</summary>
public interface IHostClockSource
{
    ClockScale Scale { get; }
    long ReadNanoseconds();
}
