using Sync.Filters.Time;

namespace Sync.Filters.Leap;

/// <summary>From UTC instant Effective (00:00:00 of the day after the leap) on, TAI - UTC is TaiMinusUtcSeconds.</summary>
public readonly record struct LeapSecond(Instant<Utc> Effective, int TaiMinusUtcSeconds);
