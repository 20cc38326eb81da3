using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Samples;

public class ReadingReducerTests
{
    private const long S = 1_764_000_000_000_000_000; // system (UTC) base
    private const long P = 1_764_000_037_000_000_000; // PHC (TAI) base
    private static readonly Duration Precision = new(10);

    private static PhcReading Extended(params SampleTriple[] samples) => new(ReadingMethod.Extended, ClockScale.Tai, samples);

    [Theory]
    [InlineData(ReductionRule.DelayBand)]
    [InlineData(ReductionRule.Fastest)]
    public void CrossTimestampGivesAZeroDelaySampleWithErrorEqualToPrecision(ReductionRule rule)
    {
        var reducer = new ReadingReducer(rule, new Duration(20));

        var result = reducer.Reduce(PhcReading.FromCrossTimestamp(ClockScale.Tai, P + 123, S + 456));

        Assert.True(result.IsAccepted);
        Assert.Equal(new ReducedSample(new Instant<Utc>(S + 456), new ScaledInstant(ClockScale.Tai, P + 123), Duration.Zero, new Duration(20), 1), result.Sample);
    }

    [Fact]
    public void FastestTakesTheSmallestDelayAtItsMidpoint()
    {
        var reducer = new ReadingReducer(ReductionRule.Fastest, Precision);

        var result = reducer.Reduce(Extended(
            new SampleTriple(S, P, S + 300),
            new SampleTriple(S + 1000, P + 1007, S + 1101),
            new SampleTriple(S + 2000, P + 2000, S + 2200)));

        // midpoint S + 1050.5 rounds to S + 1051; error = ceil(101 / 2)
        Assert.Equal(new ReducedSample(new Instant<Utc>(S + 1051), new ScaledInstant(ClockScale.Tai, P + 1007), new Duration(101), new Duration(51), 1), result.Sample);
    }

    [Theory]
    [InlineData(ReductionRule.DelayBand)]
    [InlineData(ReductionRule.Fastest)]
    public void ANegativeDelayRejectsTheWholeReading(ReductionRule rule)
    {
        var reducer = new ReadingReducer(rule, Precision);

        var result = reducer.Reduce(Extended(
            new SampleTriple(S, P, S + 100),
            new SampleTriple(S + 200, P + 200, S + 150),
            new SampleTriple(S + 300, P + 300, S + 350)));

        Assert.False(result.IsAccepted);
        Assert.Null(result.Sample);
        Assert.Contains("sample 1 has a negative delay (-50 ns)", result.RejectReason);
    }

    [Fact]
    public void EmptyReadingIsRejected()
    {
        var reducer = new ReadingReducer(ReductionRule.DelayBand, Precision);

        Assert.False(reducer.Reduce(Extended()).IsAccepted);
        Assert.False(reducer.Reduce(null).IsAccepted);
    }

    [Fact]
    public void DelayBandAveragesTheSamplesBetweenTheFirstAndSecondDecile()
    {
        // ten samples 10 us apart with delays 100..1000 ns; the 100 ns one at index 3, the 200 ns one at index 7
        long[] delays = [500, 300, 900, 100, 700, 1000, 400, 200, 800, 600];
        long[] phcError = [0, 0, 0, 5, 0, 0, 0, 8, 0, 0];
        var samples = delays.Select((d, i) => new SampleTriple(S + 10_000 * i, P + 10_000 * i + phcError[i], S + 10_000 * i + d)).ToArray();
        var reducer = new ReadingReducer(ReductionRule.DelayBand, Precision);

        var sample = reducer.Reduce(Extended(samples)).Sample!;

        // midpoints S+30050 and S+70100 -> S+50075; PHC P+30005 and P+70008 -> P+50006.5 -> P+50007
        Assert.Equal(new ReducedSample(new Instant<Utc>(S + 50_075), new ScaledInstant(ClockScale.Tai, P + 50_007), new Duration(150), new Duration(75), 2), sample);
    }

    [Fact]
    public void DelayBandLeavesOutTheFastestSamplesWhenTheyAreBelowTheFirstDecile()
    {
        // delays 10..200: nearest-rank deciles of 20 values are the 2nd (20) and 4th (40)
        var samples = Enumerable.Range(1, 20).Select(k => new SampleTriple(S + 1000 * k, P + 1000 * k, S + 1000 * k + 10 * k)).ToArray();
        var reducer = new ReadingReducer(ReductionRule.DelayBand, Precision);

        var sample = reducer.Reduce(Extended(samples)).Sample!;

        Assert.Equal(3, sample.SamplesUsed);
        Assert.Equal(new Duration(30), sample.Delay);
        Assert.Equal(new Instant<Utc>(S + 3000 + 15), sample.LocalTime); // k = 2, 3, 4: mean of S+1000k+5k
        Assert.Equal(P + 3000, sample.Reference.Nanoseconds);
        Assert.Equal(new Duration(15), sample.Error);
    }

    [Fact]
    public void DelayBandFallsBackToTheFastestWhenNoSampleIsInTheBand()
    {
        var reducer = new ReadingReducer(ReductionRule.DelayBand, Precision, new DelayQuantileTracker(capacity: 100));
        for (var reading = 0; reading < 4; reading++)
            Assert.True(reducer.Reduce(Extended(Enumerable.Range(0, 25).Select(i => new SampleTriple(S, P, S + 1000 + i)).ToArray())).IsAccepted);

        // every delay of this reading is >= 5000, far above the band [1003, 1004] of the last 100 delays
        var slow = Enumerable.Range(0, 25).Select(i => new SampleTriple(S + 100_000 * i, P + 100_000 * i, S + 100_000 * i + 5010 + 10 * i)).ToArray();
        slow[4] = new SampleTriple(S + 400_000, P + 400_123, S + 405_000);
        var sample = reducer.Reduce(Extended(slow)).Sample!;

        Assert.Equal(new ReducedSample(new Instant<Utc>(S + 402_500), new ScaledInstant(ClockScale.Tai, P + 400_123), new Duration(5000), new Duration(2500), 1), sample);
    }

    [Fact]
    public void BasicReadingsUseTheInterleavedTriples()
    {
        var reading = PhcReading.FromInterleaved(ClockScale.Utc, [S, S + 10, S + 100, S + 150, S + 180]);
        var reducer = new ReadingReducer(ReductionRule.Fastest, Precision);

        var sample = reducer.Reduce(reading).Sample!;

        Assert.Equal(new ReducedSample(new Instant<Utc>(S + 140), new ScaledInstant(ClockScale.Utc, S + 150), new Duration(80), new Duration(40), 1), sample);
    }

    [Fact]
    public void ErrorIsNeverBelowPrecision()
    {
        var reducer = new ReadingReducer(ReductionRule.Fastest, new Duration(80));

        var sample = reducer.Reduce(Extended(new SampleTriple(S, P, S + 100))).Sample!;

        Assert.Equal(new Duration(80), sample.Error);
    }

    [Fact]
    public void AveragingNearTheEndOfTheRangeIsExact()
    {
        const long m = long.MaxValue - 5;
        const long q = long.MinValue + 5;
        var reading = new PhcReading(ReadingMethod.Precise, ClockScale.Monotonic,
            [new SampleTriple(m - 3000, q, m - 3000), new SampleTriple(m - 2000, q + 1000, m - 2000), new SampleTriple(m - 1000, q + 2001, m - 1000)]);
        var reducer = new ReadingReducer(ReductionRule.DelayBand, Precision);

        var sample = reducer.Reduce(reading).Sample!;

        Assert.Equal(new Instant<Utc>(m - 2000), sample.LocalTime);
        Assert.Equal(q + 1000, sample.Reference.Nanoseconds); // q + 1000.33
        Assert.Equal(3, sample.SamplesUsed);
    }

    [Fact]
    public void AnImpossibleDelayIsRejectedNotOverflowed()
    {
        var reducer = new ReadingReducer(ReductionRule.Fastest, Precision);

        var result = reducer.Reduce(Extended(new SampleTriple(long.MinValue, 0, long.MaxValue)));

        Assert.False(result.IsAccepted);
        Assert.Contains("impossible delay", result.RejectReason);
    }

    [Fact]
    public void QuantileTrackerUsesTheNearestRankOverItsWindow()
    {
        var tracker = new DelayQuantileTracker(capacity: 5);
        Assert.Equal(0, tracker.Quantile(0.5));
        foreach (var d in new long[] { 50, 10, 40, 20, 30, 60, 70 }) // window keeps the last 5: 40 20 30 60 70
            tracker.Add(d);

        Assert.Equal(5, tracker.Count);
        Assert.Equal(20, tracker.Quantile(0.1));
        Assert.Equal(30, tracker.Quantile(0.4));
        Assert.Equal(40, tracker.Quantile(0.5));
        Assert.Equal(70, tracker.Quantile(1));
    }
}
