using MathNet.Numerics.LinearRegression;

namespace Sync.Filters.Estimation;

/// <summary>
/// A weighted least-squares line y = Intercept + Slope x with its covariance. x is in seconds relative to an
/// origin chosen by the caller (the newest sample), y in ns. Weights are 1/error^2; the covariance is
/// (X'WX)^-1 scaled by the residual variance factor s^2 = sum(w r^2)/(n-2), as chrony's regress.c does.
/// </summary>
internal readonly record struct WeightedLineFit(
    double InterceptNs,
    double SlopeNsPerS,
    double InterceptVariance,
    double SlopeVariance,
    double Covariance,
    double ResidualScale2,
    int Count)
{
    public int DegreesOfFreedom => Count - 2;

    public double ValueAt(double xS) => InterceptNs + SlopeNsPerS * xS;

    /// <summary>Variance of the fitted line's value at x (ns^2).</summary>
    public double ValueVarianceAt(double xS) => InterceptVariance + 2 * Covariance * xS + SlopeVariance * xS * xS;

    /// <summary>Fits at least 3 points. The solve uses MathNet on x centred at its weighted mean (well conditioned);
    /// intercept and covariance are then moved to x = 0.</summary>
    public static WeightedLineFit Fit(ReadOnlySpan<double> xS, ReadOnlySpan<double> yNs, ReadOnlySpan<double> weights)
    {
        int n = xS.Length;
        if (n < 3 || yNs.Length != n || weights.Length != n)
            throw new ArgumentException("a line fit needs at least 3 points with one weight each");
        double sw = 0, swx = 0;
        for (int i = 0; i < n; i++) { sw += weights[i]; swx += weights[i] * xS[i]; }
        double meanX = swx / sw;
        var centred = new double[n][];
        var y = new double[n];
        var w = new double[n];
        double sxx = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = xS[i] - meanX;
            centred[i] = [dx];
            y[i] = yNs[i];
            w[i] = weights[i] / sw * n; // normalised: mean weight 1 (the scale cancels; keeps numbers near 1)
            sxx += weights[i] * dx * dx;
        }
        if (!(sxx > 0)) throw new ArgumentException("a line fit needs points at different times");
        double[] p = WeightedRegression.Weighted(centred, y, w, intercept: true);
        double atMean = p[0], slope = p[1];
        double swr2 = 0;
        for (int i = 0; i < n; i++)
        {
            double r = yNs[i] - (atMean + slope * (xS[i] - meanX));
            swr2 += weights[i] * r * r;
        }
        double s2 = swr2 / (n - 2);
        double slopeVar = s2 / sxx;
        double interceptVar = s2 / sw + meanX * meanX * slopeVar;
        double cov = -meanX * slopeVar;
        return new WeightedLineFit(atMean - slope * meanX, slope, interceptVar, slopeVar, cov, s2, n);
    }
}
