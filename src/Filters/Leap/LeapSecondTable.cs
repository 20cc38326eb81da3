using Sync.Filters.Time;

namespace Sync.Filters.Leap;

/// <summary>
/// TAI - UTC over time, from a leap-seconds.list file or the embedded copy. Past its expiry the future is
/// unknown: conversions still answer with the last known offset, and IsExpiredAt says so.
/// </summary>
public sealed class LeapSecondTable
{
    public LeapSecondTable(IReadOnlyList<LeapSecond> entries, Instant<Utc>? expires)
    {
        throw new NotImplementedException("issue 2: time model");
    }

    public IReadOnlyList<LeapSecond> Entries => throw new NotImplementedException();
    public Instant<Utc>? Expires => throw new NotImplementedException();

    public static LeapSecondTable Embedded => throw new NotImplementedException();

    public bool IsExpiredAt(Instant<Utc> utc) => throw new NotImplementedException();
    public int TaiMinusUtcAt(Instant<Utc> utc) => throw new NotImplementedException();
    public int TaiMinusUtcAt(Instant<Tai> tai) => throw new NotImplementedException();
    public Instant<Tai> ToTai(Instant<Utc> utc) => throw new NotImplementedException();
    public Instant<Utc> ToUtc(Instant<Tai> tai) => throw new NotImplementedException();
    public LeapSecond? NextAfter(Instant<Utc> utc) => throw new NotImplementedException();

    /// <summary>A copy with one more leap second (positive or negative) at the end of the UTC day before effective.</summary>
    public LeapSecondTable WithLeap(Instant<Utc> effective, int change) => throw new NotImplementedException();
}
