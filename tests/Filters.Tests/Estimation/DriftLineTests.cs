using Sync.Filters.Estimation;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Estimation;

public class DriftLineTests
{
    private static readonly Instant<Utc> Now = new(1_000_000_000_000);

    private static List<(Instant<Utc>, double, double)> Run(params (double AgoS, double InnovationNs)[] points) =>
        points.Select(p => (new Instant<Utc>(Now.Nanoseconds - (long)(p.AgoS * 1e9)), p.InnovationNs, 10.0)).ToList();

    [Fact]
    public void GrowingRunGivesTheLeastSquaresLineAtNowWithItsCovariance()
    {
        // Innovations growing by about 20 ns/s, with scatter: the line at now and its covariance from the scatter.
        var run = Run((5, 2), (4, 25), (3, 38), (2, 63), (1, 79), (0, 101));
        var line = DriftLine.Fit(run, Now)!.Value;

        // Textbook: x = seconds relative to now.
        double[] x = [-5, -4, -3, -2, -1, 0], y = [2, 25, 38, 63, 79, 101];
        double mx = x.Average(), my = y.Average();
        double sxx = x.Sum(v => (v - mx) * (v - mx)), sxy = x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my));
        double b = sxy / sxx, a = my - b * mx;
        double s2 = x.Zip(y).Sum(p => Math.Pow(p.Second - a - b * p.First, 2)) / (x.Length - 2);
        Assert.Equal(b, line.SlopeNsPerS, 9);
        Assert.Equal(a, line.OffsetNs, 9);
        Assert.Equal(s2 / sxx, line.SlopeVarianceNs2PerS2, 9);
        Assert.Equal(s2 * (1.0 / x.Length + mx * mx / sxx), line.OffsetVarianceNs2, 9);
        Assert.Equal(-mx * s2 / sxx, line.CovarianceNs2PerS, 9);
        Assert.Equal(6, line.Samples);
        Assert.Equal(run[0].Item1, line.Start);
    }

    [Fact]
    public void ScatterWithoutSignificantGrowthIsNoDrift()
    {
        Assert.Null(DriftLine.Fit(Run((3, 40), (2, -35), (1, 45), (0, -30)), Now));
        // Growing towards zero (slope against the run's side) is no drift away from the prediction either.
        Assert.Null(DriftLine.Fit(Run((3, 100), (2, 75), (1, 50), (0, 25)), Now));
        // Fewer than four samples say nothing.
        Assert.Null(DriftLine.Fit(Run((2, 10), (1, 20), (0, 30)), Now));
    }

    [Fact]
    public void ResidualVarianceHasAFloorOfOneSquareNanosecond()
    {
        // A perfect line: the slope variance comes from the 1 ns^2 floor, not zero.
        var line = DriftLine.Fit(Run((3, 10), (2, 20), (1, 30), (0, 40)), Now)!.Value;
        Assert.Equal(10, line.SlopeNsPerS, 9);
        Assert.Equal(1 / 5.0, line.SlopeVarianceNs2PerS2, 9);
    }
}
