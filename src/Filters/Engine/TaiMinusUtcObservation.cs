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
/// Used where the leap table has expired (it cannot know a later leap) and the value is plausible; where the table is
/// valid it is only compared, and a TAI clock that disagrees with it is not used (<see cref="TaiClockIsOffAt"/>).
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

    /// <summary>TAI - UTC to use at this local time: the table's, or the observed one where it replaces the table
    /// (<see cref="ReplacesTableAt"/>).</summary>
    public int TaiMinusUtcAt(Instant<Utc> localNow, LeapSecondTable table) =>
        ReplacesTableAt(localNow, table) ?? table.TaiMinusUtcAt(localNow);

    /// <summary>
    /// The observed TAI - UTC where it replaces the table: the table has expired, and the observation is within what
    /// can have happened since (a leap second takes effect only at the start of a UTC month, so it differs from the
    /// table's last value by at most the month starts since the expiry; a host that never set its kernel's TAI offset
    /// shows 0 and is not believed). Null otherwise.
    /// </summary>
    public int? ReplacesTableAt(Instant<Utc> localNow, LeapSecondTable table)
    {
        if (Seconds is not { } observed || !table.IsExpiredAt(localNow) || table.Expires is not { } expires)
            return null;
        return Math.Abs(observed - table.TaiMinusUtcAt(localNow)) <= MonthStartsAfter(expires, localNow) ? observed : null;
    }

    /// <summary>
    /// A device's TAI clock whose TAI - UTC differs from the one used (a valid table, or an observation too far from an
    /// expired one) is whole seconds off: its readings are not used (the UTC clock is what the host's time sync
    /// steers; CLOCK_TAI is it plus the host kernel's TAI offset, the part that is wrong).
    /// </summary>
    public bool TaiClockIsOffAt(Instant<Utc> localNow, LeapSecondTable table) =>
        Seconds is { } observed && observed != TaiMinusUtcAt(localNow, table);

    /// <summary>First days of a UTC month in (after, upTo].</summary>
    private static int MonthStartsAfter(Instant<Utc> after, Instant<Utc> upTo)
    {
        if (upTo <= after)
            return 0;
        var from = DateTimeOffset.UnixEpoch.AddTicks(after.Nanoseconds / 100);
        var to = DateTimeOffset.UnixEpoch.AddTicks(upTo.Nanoseconds / 100);
        return (to.Year - from.Year) * 12 + to.Month - from.Month;
    }
}
