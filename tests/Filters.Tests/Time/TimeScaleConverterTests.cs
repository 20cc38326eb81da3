using Sync.Filters.Leap;
using Sync.Filters.Time;
using static Sync.Filters.Tests.Leap.LeapTestData;

namespace Sync.Filters.Tests.Time;

public class TimeScaleConverterTests
{
    private static readonly Duration Half = new(Second / 2);

    private static ScaledInstant Reading(ClockScale scale, Instant<Utc> at, long offsetNs = 0) => new(scale, at.Nanoseconds + offsetNs);

    [Fact]
    public void UtcIsTakenAsIs()
    {
        var result = TimeScaleConverter.ToUtc(Reading(ClockScale.Utc, Leap2016, -Second / 2), Table);

        Assert.True(result.IsSuccess);
        Assert.Equal(Leap2016 - Half, result.Utc);
        Assert.Equal(Duration.Zero, result.Ambiguity);
    }

    [Fact]
    public void TaiIsConvertedWithTheTable()
    {
        Assert.Equal(Leap2016, TimeScaleConverter.ToUtc(Reading(ClockScale.Tai, Leap2016, 37 * Second), Table).Utc);
        Assert.Equal(Leap2016 - Half, TimeScaleConverter.ToUtc(Reading(ClockScale.Tai, Leap2016, 36 * Second + Second / 2), Table).Utc);
        Assert.Equal(Leap2016 - Half, TimeScaleConverter.ToUtc(Reading(ClockScale.Tai, Leap2016, 35 * Second + Second / 2), Table).Utc);
        Assert.Equal(Duration.Zero, TimeScaleConverter.ToUtc(Reading(ClockScale.Tai, Leap2016), Table).Ambiguity);
    }

    [Fact]
    public void KnownSmearsAreUnsmearedExactly()
    {
        // NOON_LINEAR shows midnight at TAI E + 36.5 s, which is the repeated 23:59:59.5
        var noon = TimeScaleConverter.ToUtc(Reading(ClockScale.UtcSmearedNoonLinear, Leap2016), Table);
        Assert.Equal(Leap2016 - Half, noon.Utc);
        Assert.Equal(Duration.Zero, noon.Ambiguity);

        // UTC-SLS shows 23:51:40 (500 s before midnight) at TAI 23:43:20 + 36 s + 500.5 s
        var sls = TimeScaleConverter.ToUtc(Reading(ClockScale.UtcSmearedSls, Leap2016, -500 * Second), Table);
        Assert.Equal(Leap2016 - new Duration(500 * Second) + Half, sls.Utc);
    }

    [Fact]
    public void MonotonicIsNotConvertible()
    {
        var result = TimeScaleConverter.ToUtc(new ScaledInstant(ClockScale.Monotonic, 123), Table);

        Assert.False(result.IsSuccess);
        Assert.Contains("monotonic", result.Error);
    }

    [Fact]
    public void UnknownScaleIsNotConvertible()
    {
        var result = TimeScaleConverter.ToUtc(new ScaledInstant(new ClockScale((TimeScale)0xF0), 123), Table);

        Assert.False(result.IsSuccess);
        Assert.Contains("unknown time scale", result.Error);
    }

    [Fact]
    public void MissingTableIsAnError() =>
        Assert.False(TimeScaleConverter.ToUtc(Reading(ClockScale.Utc, Leap2016), null!).IsSuccess);

    [Theory]
    [InlineData(TimeScale.UtcMaybeSmeared)]
    [InlineData(TimeScale.UtcSmeared)]
    public void MaybeSmearedIsExactFarFromALeap(TimeScale scale)
    {
        var reading = Reading(new ClockScale(scale), Leap2016, -86_400 * Second - 1);

        var result = TimeScaleConverter.ToUtc(reading, Table);

        Assert.Equal(reading.Nanoseconds, result.Utc.Nanoseconds);
        Assert.Equal(Duration.Zero, result.Ambiguity);
    }

    [Fact]
    public void MaybeSmearedBeforeAnInsertionIsHalfASecondAheadWithHalfASecondAmbiguity()
    {
        // before the step the true UTC is the reading (step clock) or up to 1 s ahead of it (smear)
        var result = TimeScaleConverter.ToUtc(Reading(ClockScale.UtcMaybeSmeared, Leap2016, -6 * 3600 * Second), Table);

        Assert.Equal(Leap2016 - new Duration(6 * 3600 * Second) + Half, result.Utc);
        Assert.Equal(Half, result.Ambiguity);
    }

    [Fact]
    public void MaybeSmearedAfterAnInsertionIsHalfASecondBehind()
    {
        var result = TimeScaleConverter.ToUtc(Reading(ClockScale.UtcMaybeSmeared, Leap2016, 3600 * Second), Table);

        Assert.Equal(Leap2016 + new Duration(3600 * Second) - Half, result.Utc);
        Assert.Equal(Half, result.Ambiguity);
    }

    [Fact]
    public void MaybeSmearedAroundAnInsertedSecondStaysWithinHalfASecond()
    {
        foreach (var ns in new[] { -Second - 1, -Second, -Second / 2, -1, 0, Second / 2 })
            Assert.Equal(Half, TimeScaleConverter.ToUtc(Reading(ClockScale.UtcMaybeSmeared, Leap2016, ns), Table).Ambiguity);
    }

    [Fact]
    public void MaybeSmearedInsideADeletedSecondIsOneSecondWide()
    {
        // 23:59:59.5 is shown only by a smear: before the step true UTC is in [E-1.5 s, E-1 s), after it in [E, E+0.5 s]
        var result = TimeScaleConverter.ToUtc(Reading(ClockScale.UtcMaybeSmeared, Midnight2027, -Second / 2), WithDeletion2027);

        Assert.Equal(Midnight2027 - Half, result.Utc);
        Assert.Equal(new Duration(Second), result.Ambiguity);
    }

    private static IEnumerable<Instant<Tai>> TaiAround(Instant<Utc> leap)
    {
        for (var ns = -90_000 * Second; ns <= 90_000 * Second; ns += 1_111 * Second + 123_456_789)
            yield return Tai(leap, ns);
        for (var ns = -1_100 * Second; ns <= 1_100 * Second; ns += 7 * Second + 1_234_567)
            yield return Tai(leap, ns);
        for (var ns = 30 * Second; ns <= 42 * Second; ns += Second / 32 + 1)
            yield return Tai(leap, ns);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void MaybeSmearedBoundCoversStepAndEverySmearReading(int change)
    {
        var table = change > 0 ? WithInsertion2027 : WithDeletion2027;
        foreach (var tai in TaiAround(Midnight2027))
        {
            var trueUtc = table.ToUtc(tai);
            var readings = new[]
            {
                trueUtc.Nanoseconds,                                                   // step clock
                LeapSmear.FromTai(tai, SmearVariant.NoonLinear, table).Nanoseconds,
                LeapSmear.FromTai(tai, SmearVariant.UtcSls, table).Nanoseconds,
            };
            foreach (var scale in new[] { ClockScale.UtcMaybeSmeared, new ClockScale(TimeScale.UtcSmeared) })
            {
                foreach (var reading in readings)
                {
                    var result = TimeScaleConverter.ToUtc(new ScaledInstant(scale, reading), table);
                    Assert.True(result.IsSuccess);
                    Assert.InRange(result.Ambiguity.Nanoseconds, 0, Second);
                    Assert.InRange(trueUtc.Nanoseconds, (result.Utc - result.Ambiguity).Nanoseconds, (result.Utc + result.Ambiguity).Nanoseconds);
                    var distance = Math.Abs(reading - Midnight2027.Nanoseconds);
                    if (distance >= TimeScaleConverter.LeapAmbiguityZone.Nanoseconds)
                        Assert.Equal(Duration.Zero, result.Ambiguity);
                    else if (distance > 2 * Second)
                        Assert.Equal(Half, result.Ambiguity);
                }
            }
        }
    }

    [Fact]
    public void ReadingsPastTheTableExpiryAreFlagged()
    {
        Assert.True(TimeScaleConverter.ToUtc(Reading(ClockScale.Tai, Midnight2027), Table).BeyondTableExpiry);
        Assert.False(TimeScaleConverter.ToUtc(Reading(ClockScale.Tai, Leap2016), Table).BeyondTableExpiry);
    }
}
