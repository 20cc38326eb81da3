using Sync.Filters.Time;

namespace Sync.Filters.Leap;

/// <summary>
/// One leap second as an event: at UTC midnight Effective, TAI - UTC changes from TaiMinusUtcBefore to
/// TaiMinusUtcAfter. Change +1 is an inserted second (23:59:60), -1 a deleted one (23:59:59 skipped).
/// </summary>
public readonly record struct LeapTransition(Instant<Utc> Effective, int TaiMinusUtcBefore, int TaiMinusUtcAfter)
{
    public int Change => TaiMinusUtcAfter - TaiMinusUtcBefore;

    /// <summary>The TAI instant at which UTC reaches Effective (00:00:00 of the new day).</summary>
    public Instant<Tai> EffectiveTai => new(Effective.Nanoseconds + TaiMinusUtcAfter * Duration.NanosecondsPerSecond);

    /// <summary>
    /// The first TAI instant to which the new offset applies: the start of the inserted second for an
    /// insertion, the new midnight for a deletion.
    /// </summary>
    public Instant<Tai> SwitchTai =>
        new(Effective.Nanoseconds + Math.Min(TaiMinusUtcBefore, TaiMinusUtcAfter) * Duration.NanosecondsPerSecond);
}
