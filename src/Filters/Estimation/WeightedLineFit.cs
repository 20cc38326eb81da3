namespace Sync.Filters.Estimation;

/// <summary>
/// A weighted least-squares line y = Intercept + Slope x with its covariance. x is in seconds relative to an
/// origin chosen by the caller (the newest sample), y in ns. Weights are 1/error^2; the covariance is
/// (X'WX)^-1 scaled by the residual variance factor s^2 = sum(w r^2)/(n-2), as chrony's regress.c does.
/// <see cref="PooledWith"/> may replace s^2 by a pooled estimate that also counts earlier windows.
/// </summary>
internal readonly record struct WeightedLineFit(
    double InterceptNs,
    double SlopeNsPerS,
    double UnitInterceptVariance,
    double UnitSlopeVariance,
    double UnitCovariance,
    double ResidualScale2,
    int Count,
    int ExtraDegreesOfFreedom = 0)
{
    public int DegreesOfFreedom => Count - 2 + ExtraDegreesOfFreedom;

    /// <summary>The fit's own residual variance factor sum(w r^2)/(n-2), before any pooling.</summary>
    public double WindowResidualScale2 { get; init; } = ResidualScale2;

    public double InterceptVariance => UnitInterceptVariance * ResidualScale2;
    public double SlopeVariance => UnitSlopeVariance * ResidualScale2;
    public double Covariance => UnitCovariance * ResidualScale2;

    /// <summary>Pools this window's residual variance (n-2 degrees of freedom) with an earlier estimate worth
    /// priorDof degrees of freedom.</summary>
    public WeightedLineFit PooledWith(double priorScale2, int priorDof) => priorDof <= 0 ? this : this with
    {
        ResidualScale2 = ((Count - 2) * WindowResidualScale2 + priorDof * priorScale2) / (Count - 2 + priorDof),
        ExtraDegreesOfFreedom = priorDof,
    };

    public double ValueAt(double xS) => InterceptNs + SlopeNsPerS * xS;

    /// <summary>Variance of the fitted line's value at x (ns^2).</summary>
    public double ValueVarianceAt(double xS) => InterceptVariance + 2 * Covariance * xS + SlopeVariance * xS * xS;

    /// <summary>Fits at least 2 points: the normal equations on x centred at its weighted mean (well conditioned),
    /// solved inline without allocating (the runs-test search fits many candidate windows). Intercept and covariance
    /// are then moved to x = 0. Two points leave no degree of freedom for the residual scale (NaN).</summary>
    public static WeightedLineFit Fit(ReadOnlySpan<double> xS, ReadOnlySpan<double> yNs, ReadOnlySpan<double> weights)
    {
        int n = xS.Length;
        if (n < 2 || yNs.Length != n || weights.Length != n)
            throw new ArgumentException("a line fit needs at least 2 points with one weight each");
        double sw = 0, swx = 0, swy = 0;
        for (int i = 0; i < n; i++) { sw += weights[i]; swx += weights[i] * xS[i]; swy += weights[i] * yNs[i]; }
        double meanX = swx / sw, meanY = swy / sw;
        double sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = xS[i] - meanX;
            sxx += weights[i] * dx * dx;
            sxy += weights[i] * dx * (yNs[i] - meanY);
        }
        if (!(sxx > 0)) throw new ArgumentException("a line fit needs points at different times");
        double slope = sxy / sxx;
        double swr2 = 0;
        for (int i = 0; i < n; i++)
        {
            double r = yNs[i] - (meanY + slope * (xS[i] - meanX));
            swr2 += weights[i] * r * r;
        }
        double slopeVar = 1 / sxx;
        return new WeightedLineFit(meanY - slope * meanX, slope, 1 / sw + meanX * meanX * slopeVar, slopeVar, -meanX * slopeVar, n > 2 ? swr2 / (n - 2) : double.NaN, n);
    }
}
