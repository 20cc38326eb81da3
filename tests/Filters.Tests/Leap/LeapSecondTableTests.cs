using Sync.Filters.Leap;
using Sync.Filters.Time;
using static Sync.Filters.Tests.Leap.LeapTestData;

namespace Sync.Filters.Tests.Leap;

public class LeapSecondTableTests
{
    private static readonly Duration OneNs = new(1);
    private static readonly Duration OneSecond = new(Second);

    [Fact]
    public void OffsetAroundThe2016LeapByUtc()
    {
        Assert.Equal(36, Table.TaiMinusUtcAt(Leap2016 - OneNs));
        Assert.Equal(37, Table.TaiMinusUtcAt(Leap2016));
        Assert.Equal(36, Table.TaiMinusUtcAt(Leap2016 - OneSecond)); // 23:59:59: first occurrence
    }

    [Fact]
    public void OffsetsAtTheEdgesOfTheTable()
    {
        Assert.Equal(10, Table.TaiMinusUtcAt(Instant<Utc>.FromSeconds(63_072_000)));      // 1972-01-01
        Assert.Equal(10, Table.TaiMinusUtcAt(Instant<Utc>.FromSeconds(0)));               // before the table
        Assert.Equal(37, Table.TaiMinusUtcAt(Instant<Utc>.FromSeconds(1_800_000_000)));   // after expiry: last known
        Assert.Equal(0, new LeapSecondTable([], null).TaiMinusUtcAt(Leap2016));
    }

    [Fact]
    public void ToTaiAddsTheOffsetInForce()
    {
        Assert.Equal(Tai(Leap2016, 37 * Second), Table.ToTai(Leap2016));
        Assert.Equal(Tai(Leap2016, 36 * Second - 1), Table.ToTai(Leap2016 - OneNs));
    }

    [Fact]
    public void TheInsertedSecondRepeats235959InPosixUtc()
    {
        // TAI E+35s .. E+36s is the first 23:59:59, E+36s .. E+37s is 23:59:60, shown again as 23:59:59
        Assert.Equal(Leap2016 - OneSecond, Table.ToUtc(Tai(Leap2016, 35 * Second)));
        Assert.Equal(Leap2016 - OneNs, Table.ToUtc(Tai(Leap2016, 36 * Second - 1)));
        Assert.Equal(Leap2016 - OneSecond, Table.ToUtc(Tai(Leap2016, 36 * Second)));
        Assert.Equal(Leap2016 - new Duration(Second / 2), Table.ToUtc(Tai(Leap2016, 36 * Second + Second / 2)));
        Assert.Equal(Leap2016 - OneNs, Table.ToUtc(Tai(Leap2016, 37 * Second - 1)));
        Assert.Equal(Leap2016, Table.ToUtc(Tai(Leap2016, 37 * Second)));
        Assert.Equal(36, Table.TaiMinusUtcAt(Tai(Leap2016, 36 * Second - 1)));
        Assert.Equal(37, Table.TaiMinusUtcAt(Tai(Leap2016, 36 * Second)));
    }

    [Fact]
    public void ADeletedSecondSkips235959()
    {
        var table = WithDeletion2027;

        Assert.Equal(37, table.TaiMinusUtcAt(Midnight2027 - OneNs));
        Assert.Equal(36, table.TaiMinusUtcAt(Midnight2027));
        // 23:59:58.999999999 is followed directly by 00:00:00
        Assert.Equal(Midnight2027 - OneSecond - OneNs, table.ToUtc(Tai(Midnight2027, 36 * Second - 1)));
        Assert.Equal(Midnight2027, table.ToUtc(Tai(Midnight2027, 36 * Second)));
        // the skipped 23:59:59 maps with the old offset
        Assert.Equal(Tai(Midnight2027, 36 * Second), table.ToTai(Midnight2027 - OneSecond));
    }

    [Fact]
    public void UtcToTaiToUtcRoundTripsEverywhere()
    {
        foreach (var table in new[] { Table, WithDeletion2027, WithInsertion2027 })
        {
            foreach (var leap in new[] { Leap2016, Midnight2027 })
            {
                for (var ns = -3 * Second; ns <= 3 * Second; ns += Second / 4 + 7)
                {
                    var utc = leap + new Duration(ns);
                    var skipped = table.TaiMinusUtcAt(leap) < table.TaiMinusUtcAt(leap - OneNs) && ns >= -Second && ns < 0;
                    if (!skipped) // a deleted 23:59:59 does not exist
                        Assert.Equal(utc, table.ToUtc(table.ToTai(utc)));
                }
            }
        }
    }

    [Fact]
    public void TaiToUtcToTaiRoundTripsExceptInsideTheInsertedSecond()
    {
        for (var ns = 30 * Second; ns <= 40 * Second; ns += Second / 8 + 3)
        {
            var tai = Tai(Leap2016, ns);
            var expected = ns >= 36 * Second && ns < 37 * Second ? tai - new Duration(Second) : tai;
            Assert.Equal(expected, Table.ToTai(Table.ToUtc(tai)));
        }
    }

    [Fact]
    public void NextAfterFindsTheNextLeap()
    {
        Assert.Equal(new LeapSecond(Leap2016, 37), Table.NextAfter(Instant<Utc>.FromSeconds(1_470_000_000)));
        Assert.Equal(new LeapSecond(Leap2016, 37), Table.NextAfter(Leap2016 - OneNs));
        Assert.Null(Table.NextAfter(Leap2016));
        Assert.Equal(new LeapSecond(Instant<Utc>.FromSeconds(78_796_800), 11), Table.NextAfter(Instant<Utc>.FromSeconds(0))); // 1972-07-01
        Assert.Equal(new LeapSecond(Midnight2027, 36), WithDeletion2027.NextAfter(Leap2016));
    }

    [Fact]
    public void ExpiryIsInclusiveOfTheExpiryInstant()
    {
        Assert.False(Table.IsExpiredAt(EmbeddedExpiry - OneNs));
        Assert.True(Table.IsExpiredAt(EmbeddedExpiry));
        Assert.False(new LeapSecondTable(Table.Entries, null).IsExpiredAt(Instant<Utc>.FromSeconds(4_000_000_000)));
    }

    [Fact]
    public void WithLeapAddsASyntheticLeapAndExtendsExpiry()
    {
        var table = WithInsertion2027;

        Assert.Equal(29, table.Entries.Count);
        Assert.Equal(38, table.TaiMinusUtcAt(Midnight2027));
        Assert.Equal(37, table.TaiMinusUtcAt(Midnight2027 - OneNs));
        Assert.Equal(Midnight2027 + new Duration(28 * 86_400 * Second), table.Expires);
        Assert.Equal(28, Table.Entries.Count); // the original is unchanged
    }

    [Fact]
    public void WithLeapKeepsALaterExpiry()
    {
        var far = Instant<Utc>.FromSeconds(2_000_000_000);
        var table = new LeapSecondTable(Table.Entries, far).WithLeap(Midnight2027, 1);

        Assert.Equal(far, table.Expires);
    }

    [Fact]
    public void WithLeapRejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Table.WithLeap(Midnight2027, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Table.WithLeap(Midnight2027, 0));
        Assert.Throws<ArgumentException>(() => Table.WithLeap(Midnight2027 + OneSecond, 1));
        Assert.Throws<ArgumentException>(() => Table.WithLeap(Leap2016, 1));
    }

    [Fact]
    public void ConstructorRejectsInconsistentEntries()
    {
        Assert.Throws<ArgumentException>(() => new LeapSecondTable([new(Leap2016, 37), new(Leap2016 - new Duration(86_400 * Second), 36)], null));
        Assert.Throws<ArgumentException>(() => new LeapSecondTable([new(Leap2016, 37), new(Midnight2027, 39)], null));
        Assert.Throws<ArgumentException>(() => new LeapSecondTable([new(Leap2016 + OneSecond, 37)], null));
    }

    [Fact]
    public void TransitionsDescribeEachLeap()
    {
        var last = Table.Transitions[^1];

        Assert.Equal(new LeapTransition(Leap2016, 36, 37), last);
        Assert.Equal(1, last.Change);
        Assert.Equal(Tai(Leap2016, 36 * Second), last.SwitchTai);
        Assert.Equal(Tai(Leap2016, 37 * Second), last.EffectiveTai);
        Assert.Equal(Tai(Midnight2027, 36 * Second), WithDeletion2027.Transitions[^1].SwitchTai);
    }
}
