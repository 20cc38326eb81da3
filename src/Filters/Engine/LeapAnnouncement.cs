using Sync.Filters.Discipline;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// What the kernel is told about leap seconds at a given local time: TAI - UTC from the table (or, where it has
/// expired, as a device serving TAI and UTC shows it: <see cref="TaiMinusUtcObservation"/>), and the insert or
/// delete flag within the day before a leap (not under <see cref="LeapPolicy.Slew"/> or
/// <see cref="LeapPolicy.FollowSmear"/>, which leave the kernel's leap alone).
/// </summary>
internal sealed class LeapAnnouncement(LeapPolicy policy, LeapSecondTable leapTable, TaiMinusUtcObservation taiMinusUtc)
{
    /// <summary>Insert or delete leap, or none, as of the last <see cref="Update"/>.</summary>
    public ClockStatus Flags { get; private set; }

    /// <summary>TAI - UTC in seconds as of the last <see cref="Update"/>; null before the first.</summary>
    public int? TaiMinusUtcSeconds { get; private set; }

    public void Update(Instant<Utc> localNow)
    {
        TaiMinusUtcSeconds = taiMinusUtc.TaiMinusUtcAt(localNow, leapTable);
        Flags = ClockStatus.None;
        if (policy is LeapPolicy.Slew or LeapPolicy.FollowSmear)
            return;
        if (leapTable.NextAfter(localNow) is not { } leap)
            return;
        var untilLeap = leap.Effective - localNow;
        if (untilLeap <= Duration.Zero || untilLeap > Duration.FromSeconds(86_400))
            return;
        var change = leap.TaiMinusUtcSeconds - leapTable.TaiMinusUtcAt(localNow);
        Flags = change > 0 ? ClockStatus.InsertLeap : change < 0 ? ClockStatus.DeleteLeap : ClockStatus.None;
    }

    /// <summary>
    /// Under <see cref="LeapPolicy.Slew"/>, whether a jump of <paramref name="offset"/> seen at <paramref name="localNow"/>
    /// is the leap's own second (a leap of the table within the hour before, the offset within 0.5 s of its 1 s): it is
    /// slewed away, never stepped.
    /// </summary>
    public bool IsSlewedLeap(Instant<Utc> localNow, Duration offset) =>
        policy == LeapPolicy.Slew
        && leapTable.NextAfter(localNow - Duration.FromSeconds(3600)) is { } leap && leap.Effective <= localNow + Duration.FromSeconds(2)
        && (offset.Abs() - Duration.FromSeconds(1)).Abs() < Duration.FromMilliseconds(500);
}
