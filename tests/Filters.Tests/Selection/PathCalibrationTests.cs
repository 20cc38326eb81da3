using Sync.Filters.Selection;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Selection;

public class PathCalibrationTests
{
    [Fact]
    public void MeasuresTheWidePathsBiasAndStatesHowSureItIs()
    {
        var random = new Random(3);
        var calibration = new PathCalibration();
        for (var i = 0; i < 200; i++)
        {
            var local = random.Next(-100_000, 100_000);
            var narrow = local + random.Next(-2_000, 2_000);
            var wide = local - 30_000 + random.Next(-5_000, 5_000);
            calibration.Add(Duration.FromNanoseconds(wide), Duration.FromNanoseconds(narrow), Duration.FromNanoseconds(4_000));
        }

        var measured = Assert.IsType<SourceCalibration>(calibration.Current);
        Assert.InRange(measured.Correction.Nanoseconds, -31_000, -29_000);
        // The narrow path's own allowance plus a little for the noise of the mean, far below the ~60 us half window.
        Assert.InRange(measured.Allowance.Nanoseconds, 4_000, 6_000);
    }

    [Fact]
    public void NothingUntilEnoughPairs()
    {
        var calibration = new PathCalibration(minPairs: 16);
        for (var i = 0; i < 15; i++)
            calibration.Add(Duration.FromMicroseconds(-30), Duration.Zero, Duration.FromMicroseconds(4));
        Assert.Null(calibration.Current);
        calibration.Add(Duration.FromMicroseconds(-30), Duration.Zero, Duration.FromMicroseconds(4));
        Assert.Equal(Duration.FromMicroseconds(-30), calibration.Current!.Value.Correction);
    }

    [Fact]
    public void ABiasThatMovesWidensTheAllowance()
    {
        var steady = new PathCalibration(window: 64);
        var moving = new PathCalibration(window: 64);
        for (var i = 0; i < 64; i++)
        {
            steady.Add(Duration.FromMicroseconds(-30), Duration.Zero, Duration.FromMicroseconds(4));
            moving.Add(Duration.FromMicroseconds(i < 32 ? -40 : -20), Duration.Zero, Duration.FromMicroseconds(4));
        }

        Assert.Equal(Duration.FromMicroseconds(4), steady.Current!.Value.Allowance);
        Assert.True(moving.Current!.Value.Allowance >= Duration.FromMicroseconds(24), $"{moving.Current.Value.Allowance}");
    }
}
