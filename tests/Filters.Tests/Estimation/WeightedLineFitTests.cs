using Sync.Filters.Estimation;

namespace Sync.Filters.Tests.Estimation;

public class WeightedLineFitTests
{
    [Fact]
    public void MatchesClosedFormWeightedLeastSquares()
    {
        var random = new Random(7);
        int n = 50;
        var x = new double[n];
        var y = new double[n];
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = -16.0 * (n - 1 - i) + random.NextDouble();
            double err = 5 + 50 * random.NextDouble();
            w[i] = 1 / (err * err);
            y[i] = 123_456.0 + 3_210.5 * x[i] + err * SyntheticOscillator.Gaussian(random);
        }

        var fit = WeightedLineFit.Fit(x, y, w);

        // Textbook normal equations with raw sums (a different arithmetic path from the fit's centred sums).
        double s = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++)
        {
            s += w[i]; sx += w[i] * x[i]; sy += w[i] * y[i]; sxx += w[i] * x[i] * x[i]; sxy += w[i] * x[i] * y[i];
        }
        double det = s * sxx - sx * sx;
        double b = (s * sxy - sx * sy) / det;
        double a = (sxx * sy - sx * sxy) / det;
        double chi2 = 0;
        for (int i = 0; i < n; i++) chi2 += w[i] * Math.Pow(y[i] - a - b * x[i], 2);
        double s2 = chi2 / (n - 2);

        AssertRelative(a, fit.InterceptNs);
        AssertRelative(b, fit.SlopeNsPerS);
        AssertRelative(s2 * sxx / det, fit.InterceptVariance);
        AssertRelative(s2 * s / det, fit.SlopeVariance);
        AssertRelative(-s2 * sx / det, fit.Covariance);
    }

    [Fact]
    public void TwoPointsGiveTheLineThroughThemWithNoResidualScale()
    {
        // The change detector classifies runs of two deviating samples: the line through them, no degree of freedom left.
        var fit = WeightedLineFit.Fit([0.0, 2.0], [10.0, 50.0], [1.0, 1.0]);
        Assert.Equal(20, fit.SlopeNsPerS, 12);
        Assert.Equal(10, fit.InterceptNs, 12);
        Assert.Equal(0, fit.DegreesOfFreedom);
        Assert.True(double.IsNaN(fit.ResidualScale2));
        Assert.Equal(1 / 2.0, fit.UnitSlopeVariance, 12); // 1 / sum (x - mean)^2
        Assert.Throws<ArgumentException>(() => WeightedLineFit.Fit([1.0], [1.0], [1.0]));
        Assert.Throws<ArgumentException>(() => WeightedLineFit.Fit([1.0, 1.0], [1.0, 2.0], [1.0, 1.0]));
    }

    private static void AssertRelative(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");
}
