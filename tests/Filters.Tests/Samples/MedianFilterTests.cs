using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Samples;

public class MedianFilterTests
{
    private static readonly Instant<Utc> T0 = Instant<Utc>.FromSeconds(1_764_000_000);

    private static OffsetSample Sample(int second, long offsetNs, long errorNs, long delayNs = 0) =>
        new(T0 + new Duration(second * Duration.NanosecondsPerSecond), new Duration(offsetNs), new Duration(delayNs), new Duration(errorNs));

    [Fact]
    public void OneSampleComesBackUnchanged()
    {
        var sample = Sample(3, 1234, 50, 100);

        var result = MedianFilter.Combine([sample]);

        Assert.Equal(new FilteredSample(sample, 1, 1), result);
    }

    [Fact]
    public void NoUsableSampleGivesNothing()
    {
        Assert.Null(MedianFilter.Combine([]));
        Assert.Null(MedianFilter.Combine([Sample(0, 10, -1)]));
    }

    [Fact]
    public void KeepsSamplesWithinOneAndAHalfTimesTheSmallestErrorThenNearestTheMedian()
    {
        OffsetSample[] samples =
        [
            Sample(0, 100, 10, 20), Sample(1, 200, 14, 28), Sample(2, 300, 15, 30), Sample(3, 400, 16, 32), Sample(4, 500, 100, 200),
        ];

        var result = MedianFilter.Combine(samples)!;

        // errors <= 15 keep offsets 100, 200, 300; ceil(0.6 * 3) = 2 nearest the median 200: 200 and 100
        Assert.Equal(2, result.SamplesKept);
        Assert.Equal(5, result.SamplesOffered);
        Assert.Equal(T0 + new Duration(500_000_000), result.Sample.LocalTime);
        Assert.Equal(new Duration(150), result.Sample.Offset);
        Assert.Equal(new Duration(24), result.Sample.Delay);
        // spread: sd(100, 200) = 70.7, / sqrt(2) = 50 > mean error 12
        Assert.Equal(new Duration(50), result.Sample.Error);
    }

    [Fact]
    public void DropsTheOutlierFarFromTheMedian()
    {
        OffsetSample[] samples = [Sample(0, 0, 5), Sample(1, 10, 5), Sample(2, 20, 5), Sample(3, 30, 5), Sample(4, 1000, 5)];

        var result = MedianFilter.Combine(samples)!;

        Assert.Equal(3, result.SamplesKept);
        Assert.Equal(new Duration(20), result.Sample.Offset);
        Assert.Equal(T0 + new Duration(2 * Duration.NanosecondsPerSecond), result.Sample.LocalTime); // seconds 1, 2, 3
        Assert.Equal(new Duration(6), result.Sample.Error); // sd 10 / sqrt(3) = 5.77 -> 6 > 5
    }

    [Fact]
    public void ErrorIsNotBelowTheSamplesOwnError()
    {
        OffsetSample[] samples = [Sample(0, 0, 100), Sample(1, 10, 100), Sample(2, 20, 100), Sample(3, 30, 100), Sample(4, 1000, 100)];

        Assert.Equal(new Duration(100), MedianFilter.Combine(samples)!.Sample.Error);
    }

    [Fact]
    public void KeepsAboutSixtyPercent()
    {
        var samples = Enumerable.Range(0, 16).Select(i => Sample(i, i * 7 % 16, 10)).ToArray();

        Assert.Equal(10, MedianFilter.Combine(samples)!.SamplesKept);
    }

    [Fact]
    public void CollectsOnePollAtATime()
    {
        var filter = new MedianFilter();
        filter.Add(Sample(0, 100, 10));
        filter.Add(Sample(1, 300, 10));

        var first = filter.TakeCombined()!;

        Assert.Equal(2, first.SamplesKept);
        Assert.Equal(new Duration(200), first.Sample.Offset);
        Assert.Equal(0, filter.PendingCount);
        Assert.Null(filter.TakeCombined());
    }

    [Fact]
    public void LargeOffsetsAverageExactly()
    {
        const long big = 4_000_000_000_000_000_001;
        var result = MedianFilter.Combine([Sample(0, big, 10), Sample(1, big + 2, 10)])!;

        Assert.Equal(new Duration(big + 1), result.Sample.Offset);
    }
}
