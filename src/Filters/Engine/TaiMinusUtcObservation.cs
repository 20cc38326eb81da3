using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// TAI - UTC as a device that serves both shows it: a TAI clock and a UTC clock read within
/// <see cref="MaxApart"/> of each other (local time) differ by a whole number of seconds. Their reduced samples give
/// it as the difference of their raw offsets (reference - local), so the guest clock's own error cancels. A difference
/// more than <see cref="MaxFraction"/> from a whole second is not an observation (a smear, a fault, a wrong scale).
/// Readings near a leap are never offered (<see cref="ReferenceScaleConverter"/> drops them: UTC repeats a second).
/// Used where the leap table has expired (it cannot know a later leap); where the table is valid it is only compared.
/// </summary>
internal sealed class TaiMinusUtcObservation
{
    public static readonly Duration MaxApart = Duration.FromSeconds(10);
    public const double MaxFraction = 0.1;

    private (Instant<Utc> At, long RawOffsetNs)? _tai;
    private (Instant<Utc> At, long RawOffsetNs)? _utc;

    /// <summary>The last whole-second TAI - UTC seen; null before both clocks were read close together.</summary>
    public int? Seconds { get; private set; }

    /// <summary>Where the observation disagrees with the table (a valid one is used; this is shown).</summary>
    public bool DisagreesWithTable { get; private set; }

    public void Offer(ReducedSample sample, ClockScale scale, LeapSecondTable table)
    {
        var raw = (sample.LocalTime, sample.Reference.Nanoseconds - sample.LocalTime.Nanoseconds);
        if (scale.Scale == TimeScale.Tai) _tai = raw;
        else if (scale.Scale == TimeScale.Utc) _utc = raw;
        else return;
        if (_tai is not { } tai || _utc is not { } utc || (tai.At - utc.At).Abs() > MaxApart)
            return;
        var seconds = (tai.RawOffsetNs - utc.RawOffsetNs) / (double)Duration.NanosecondsPerSecond;
        var whole = Math.Round(seconds);
        if (Math.Abs(seconds - whole) > MaxFraction || Math.Abs(whole) > 1000)
            return;
        Seconds = (int)whole;
        DisagreesWithTable = Seconds != table.TaiMinusUtcAt(sample.LocalTime);
    }

    /// <summary>TAI - UTC to use at this local time: the table's, or the observed one where the table has expired.</summary>
    public int TaiMinusUtcAt(Instant<Utc> localNow, LeapSecondTable table) =>
        table.IsExpiredAt(localNow) && Seconds is { } observed ? observed : table.TaiMinusUtcAt(localNow);
}
