using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Leap;

internal static class LeapTestData
{
    public const long Second = Duration.NanosecondsPerSecond;

    /// <summary>2017-01-01T00:00:00Z: the leap second 2016-12-31T23:59:60 ends here; TAI-UTC 36 -> 37.</summary>
    public static readonly Instant<Utc> Leap2016 = Instant<Utc>.FromSeconds(1_483_228_800);

    /// <summary>2027-01-01T00:00:00Z, used for synthetic leaps.</summary>
    public static readonly Instant<Utc> Midnight2027 = Instant<Utc>.FromSeconds(1_798_761_600);

    /// <summary>2026-06-28T00:00:00Z: the #@ expiry of the embedded (tzdata 2025b) list.</summary>
    public static readonly Instant<Utc> EmbeddedExpiry = Instant<Utc>.FromSeconds(1_782_604_800);

    public static LeapSecondTable Table => LeapSecondTable.Embedded;

    /// <summary>The embedded table plus a deleted second at the end of 2026-12-31 (37 -> 36).</summary>
    public static LeapSecondTable WithDeletion2027 => LeapSecondTable.Embedded.WithLeap(Midnight2027, -1);

    /// <summary>The embedded table plus an inserted second at the end of 2026-12-31 (37 -> 38).</summary>
    public static LeapSecondTable WithInsertion2027 => LeapSecondTable.Embedded.WithLeap(Midnight2027, +1);

    public static string EmbeddedText()
    {
        using var stream = typeof(LeapSecondTable).Assembly.GetManifestResourceStream("Sync.Filters.Leap.leap-seconds.list")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static Instant<Tai> Tai(Instant<Utc> utc, long offsetNs) => new(utc.Nanoseconds + offsetNs);
}
