using Sync.Filters.Leap;
using Sync.Filters.Time;
using static Sync.Filters.Tests.Leap.LeapTestData;

namespace Sync.Filters.Tests.Leap;

public class LeapSmearTests
{
    private const long Noon = 43_200 * Second;
    private static readonly Duration OneNs = new(1);

    private static Instant<UtcSmeared> Smeared(Instant<Utc> utc, long offsetNs) => new(utc.Nanoseconds + offsetNs);

    // ---- NOON_LINEAR, inserted second (2016-12-31): 86401 TAI seconds from TAI E-43200+36 to E+43200+37 ----

    [Fact]
    public void NoonLinearStartsAtNoonBefore()
    {
        var start = Tai(Leap2016, -Noon + 36 * Second);

        Assert.Equal(Smeared(Leap2016, -Noon), LeapSmear.FromTai(start, SmearVariant.NoonLinear, Table));
        Assert.Equal(Smeared(Leap2016, -Noon - 1), LeapSmear.FromTai(start - OneNs, SmearVariant.NoonLinear, Table));
        Assert.Equal(Duration.Zero, LeapSmear.SmearAt(start, SmearVariant.NoonLinear, Table));
        Assert.Equal(Duration.Zero, LeapSmear.SmearAt(start - OneNs, SmearVariant.NoonLinear, Table));
    }

    [Fact]
    public void NoonLinearOneHourInRunsSlowByOne86400th()
    {
        // 3600 s of TAI show as 3600 * 86400/86401 s = 3600 s - 41666184.4 ns, floored
        var tai = Tai(Leap2016, -Noon + 36 * Second + 3600 * Second);

        Assert.Equal(Smeared(Leap2016, -Noon + 3_599_958_333_815), LeapSmear.FromTai(tai, SmearVariant.NoonLinear, Table));
        Assert.Equal(new Duration(-41_666_185), LeapSmear.SmearAt(tai, SmearVariant.NoonLinear, Table));
    }

    [Fact]
    public void NoonLinearIsAtMidnightHalfWayThroughTheLeapSecond()
    {
        // 43200.5 of 86401 TAI seconds -> exactly 43200 smeared seconds: smeared midnight at TAI E + 36.5 s,
        // where POSIX UTC shows the repeated 23:59:59.5: the smear is +0.5 s
        var tai = Tai(Leap2016, 36 * Second + Second / 2);

        Assert.Equal(Smeared(Leap2016, 0), LeapSmear.FromTai(tai, SmearVariant.NoonLinear, Table));
        Assert.Equal(new Duration(Second / 2), LeapSmear.SmearAt(tai, SmearVariant.NoonLinear, Table));
    }

    [Fact]
    public void NoonLinearEndsAtNoonAfter()
    {
        var end = Tai(Leap2016, Noon + 37 * Second);

        Assert.Equal(Smeared(Leap2016, Noon), LeapSmear.FromTai(end, SmearVariant.NoonLinear, Table));
        Assert.Equal(Smeared(Leap2016, Noon - 1), LeapSmear.FromTai(end - OneNs, SmearVariant.NoonLinear, Table));
        Assert.Equal(Smeared(Leap2016, Noon + Second), LeapSmear.FromTai(end + new Duration(Second), SmearVariant.NoonLinear, Table));
        Assert.Equal(Duration.Zero, LeapSmear.SmearAt(end, SmearVariant.NoonLinear, Table));
    }

    [Fact]
    public void NoonLinearSmearedHourLastsOne86400thLonger()
    {
        var a = LeapSmear.ToTai(Smeared(Leap2016, -3600 * Second), SmearVariant.NoonLinear, Table);
        var b = LeapSmear.ToTai(Smeared(Leap2016, 0), SmearVariant.NoonLinear, Table);

        // 3600 * 86401 / 86400 s = 3600.041666... s
        Assert.InRange((b - a).Nanoseconds, 3_600_041_666_666, 3_600_041_666_668);
    }

    // ---- UTC_SLS, inserted second: 1001 TAI seconds from 23:43:20 (TAI E-1000+36) to 24:00:00 (TAI E+37) ----

    [Fact]
    public void UtcSlsPoints()
    {
        var start = Tai(Leap2016, -1000 * Second + 36 * Second);

        Assert.Equal(Smeared(Leap2016, -1000 * Second), LeapSmear.FromTai(start, SmearVariant.UtcSls, Table));
        Assert.Equal(Smeared(Leap2016, -1000 * Second - 1), LeapSmear.FromTai(start - OneNs, SmearVariant.UtcSls, Table));
        // 500.5 of 1001 TAI seconds -> 500 smeared seconds
        Assert.Equal(Smeared(Leap2016, -500 * Second), LeapSmear.FromTai(start + new Duration(500 * Second + Second / 2), SmearVariant.UtcSls, Table));
        // start of 23:59:60: 1000 TAI seconds -> 1000 * 1000/1001 s = 999.000999000999 s
        Assert.Equal(Smeared(Leap2016, -1000 * Second + 999_000_999_000), LeapSmear.FromTai(Tai(Leap2016, 36 * Second), SmearVariant.UtcSls, Table));
        // end: midnight at TAI E + 37 s
        Assert.Equal(Smeared(Leap2016, -1), LeapSmear.FromTai(Tai(Leap2016, 37 * Second - 1), SmearVariant.UtcSls, Table));
        Assert.Equal(Smeared(Leap2016, 0), LeapSmear.FromTai(Tai(Leap2016, 37 * Second), SmearVariant.UtcSls, Table));
        Assert.Equal(Duration.Zero, LeapSmear.SmearAt(Tai(Leap2016, 37 * Second), SmearVariant.UtcSls, Table));
        // the UTC-SLS window does not touch the afternoon before
        Assert.Equal(Duration.Zero, LeapSmear.SmearAt(Tai(Leap2016, -3600 * Second), SmearVariant.UtcSls, Table));
    }

    [Fact]
    public void UtcSlsSmearedSecondLastsOneThousandthLonger()
    {
        var a = LeapSmear.ToTai(Smeared(Leap2016, -100 * Second), SmearVariant.UtcSls, Table);
        var b = LeapSmear.ToTai(Smeared(Leap2016, -99 * Second), SmearVariant.UtcSls, Table);

        Assert.Equal(1_001_000_000, (b - a).Nanoseconds);
    }

    // ---- deleted second (synthetic, end of 2026): 86399 / 999 TAI seconds ----

    [Fact]
    public void DeletedSecondNoonLinearPoints()
    {
        var table = WithDeletion2027;
        var start = Tai(Midnight2027, -Noon + 37 * Second);

        Assert.Equal(Smeared(Midnight2027, -Noon), LeapSmear.FromTai(start, SmearVariant.NoonLinear, table));
        // 43199.5 of 86399 TAI seconds -> 43200 smeared seconds: midnight at TAI E + 36.5 s
        Assert.Equal(Smeared(Midnight2027, 0), LeapSmear.FromTai(Tai(Midnight2027, 36 * Second + Second / 2), SmearVariant.NoonLinear, table));
        Assert.Equal(Smeared(Midnight2027, Noon), LeapSmear.FromTai(Tai(Midnight2027, Noon + 36 * Second), SmearVariant.NoonLinear, table));
        Assert.Equal(Smeared(Midnight2027, Noon - 2), LeapSmear.FromTai(Tai(Midnight2027, Noon + 36 * Second - 1), SmearVariant.NoonLinear, table));
    }

    [Fact]
    public void DeletedSecondUtcSlsPoints()
    {
        var table = WithDeletion2027;
        var start = Tai(Midnight2027, -1000 * Second + 37 * Second);

        Assert.Equal(Smeared(Midnight2027, -1000 * Second), LeapSmear.FromTai(start, SmearVariant.UtcSls, table));
        // 499.5 of 999 TAI seconds -> 500 smeared seconds
        Assert.Equal(Smeared(Midnight2027, -500 * Second), LeapSmear.FromTai(start + new Duration(499 * Second + Second / 2), SmearVariant.UtcSls, table));
        Assert.Equal(Smeared(Midnight2027, 0), LeapSmear.FromTai(Tai(Midnight2027, 36 * Second), SmearVariant.UtcSls, table));
    }

    // ---- properties ----

    public static TheoryData<SmearVariant, int> Cases => new()
    {
        { SmearVariant.NoonLinear, 1 }, { SmearVariant.NoonLinear, -1 },
        { SmearVariant.UtcSls, 1 }, { SmearVariant.UtcSls, -1 },
    };

    private static LeapSecondTable TableFor(int change) => change > 0 ? WithInsertion2027 : WithDeletion2027;

    private static IEnumerable<Instant<Tai>> TaiPointsAround(Instant<Utc> leap)
    {
        for (var ns = -Noon - 100 * Second; ns <= Noon + 100 * Second; ns += 997 * Second / 10 + 12_345)
            yield return Tai(leap, ns);
        for (var ns = -1100 * Second; ns <= 100 * Second; ns += 3 * Second + 777)
            yield return Tai(leap, ns);
        for (var ns = 30 * Second; ns <= 42 * Second; ns += Second / 16 + 1)
            yield return Tai(leap, ns);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SmearedToTaiToSmearedIsExact(SmearVariant variant, int change)
    {
        var table = TableFor(change);
        foreach (var tai in TaiPointsAround(Midnight2027))
        {
            var smeared = LeapSmear.FromTai(tai, variant, table);
            var back = LeapSmear.ToTai(smeared, variant, table);
            Assert.Equal(smeared, LeapSmear.FromTai(back, variant, table));
            Assert.InRange((tai - back).Nanoseconds, 0, 1);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SmearedClockIsMonotonicAndContinuous(SmearVariant variant, int change)
    {
        var table = TableFor(change);
        var points = TaiPointsAround(Midnight2027).Order().ToList();
        for (var i = 1; i < points.Count; i++)
        {
            var a = LeapSmear.FromTai(points[i - 1], variant, table);
            var b = LeapSmear.FromTai(points[i], variant, table);
            var taiStep = (points[i] - points[i - 1]).Nanoseconds;
            var smearedStep = (b - a).Nanoseconds;
            Assert.True(smearedStep >= 0, $"smeared time went back at {points[i]}");
            Assert.InRange(smearedStep, taiStep * 998 / 1000 - 1, taiStep * 1002 / 1000 + 1);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WindowEdgesAreContinuousAtNanosecondSteps(SmearVariant variant, int change)
    {
        var table = TableFor(change);
        var leap = table.Transitions[^1];
        var (start, end) = LeapSmear.WindowOf(leap, variant);
        foreach (var edge in new[] { table.ToTai(start), new Instant<Tai>(end.Nanoseconds + leap.TaiMinusUtcAfter * Second) })
        {
            for (var k = -3; k <= 3; k++)
            {
                var a = LeapSmear.FromTai(edge + new Duration(k - 1), variant, table);
                var b = LeapSmear.FromTai(edge + new Duration(k), variant, table);
                Assert.InRange((b - a).Nanoseconds, 0, 2);
            }
            Assert.Equal(Duration.Zero, LeapSmear.SmearAt(edge, variant, table));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SmearIsZeroOutsideTheWindowAndBoundedByOneSecondInside(SmearVariant variant, int change)
    {
        var table = TableFor(change);
        var leap = table.Transitions[^1];
        var (start, end) = LeapSmear.WindowOf(leap, variant);
        foreach (var tai in TaiPointsAround(Midnight2027))
        {
            var smear = LeapSmear.SmearAt(tai, variant, table).Nanoseconds;
            var utc = table.ToUtc(tai);
            if (utc < start - new Duration(1) || utc > end)
                Assert.Equal(0, smear);
            else
                Assert.InRange(Math.Abs(smear), 0, Second);
        }
    }

    [Fact]
    public void UtcConvenienceOverloadsRoundTripWithinOneNanosecond()
    {
        for (var ns = -Noon; ns <= Noon; ns += 1_234_567_891)
        {
            var utc = Leap2016 + new Duration(ns);
            if (ns >= -Second && ns < 0)
                continue;
            foreach (var variant in new[] { SmearVariant.NoonLinear, SmearVariant.UtcSls })
                Assert.InRange((utc - LeapSmear.ToUtc(LeapSmear.FromUtc(utc, variant, Table), variant, Table)).Nanoseconds, 0, 1);
        }
    }

    [Fact]
    public void SmearedTimeEqualsUtcFarFromLeaps()
    {
        var utc = Instant<Utc>.FromSeconds(1_764_000_000);

        Assert.Equal(utc.Nanoseconds, LeapSmear.FromUtc(utc, SmearVariant.NoonLinear, Table).Nanoseconds);
        Assert.Equal(Table.ToTai(utc), LeapSmear.ToTai(new Instant<UtcSmeared>(utc.Nanoseconds), SmearVariant.UtcSls, Table));
    }

    [Fact]
    public void UnspecifiedVariantCannotBeComputed()
    {
        Assert.False(LeapSmear.IsComputable(SmearVariant.Unspecified));
        Assert.Throws<ArgumentOutOfRangeException>(() => LeapSmear.FromTai(Tai(Leap2016, 0), SmearVariant.Unspecified, Table));
        Assert.Throws<ArgumentOutOfRangeException>(() => LeapSmear.ToTai(new Instant<UtcSmeared>(0), (SmearVariant)0xF0, Table));
    }
}
