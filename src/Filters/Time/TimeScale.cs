namespace Sync.Filters.Time;

/// <summary>The time scale a clock counts in; values match virtio-rtc's CLOCK_CAP type.</summary>
public enum TimeScale : byte
{
    Utc = 0,
    Tai = 1,
    Monotonic = 2,
    UtcSmeared = 3,
    UtcMaybeSmeared = 4,
}
