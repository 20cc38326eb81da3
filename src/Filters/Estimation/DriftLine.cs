using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>
/// The line a drift CUSUM's alarm run of innovations grows along (<see cref="DriftCusum.AlarmRun"/>), evaluated at
/// now: offset and slope (the rate change) with their covariance, from the scatter about the line (not the model's
/// noise, which may be mis-learnt).
/// </summary>
internal readonly record struct DriftLine(Instant<Utc> Start, int Samples, double OffsetNs, double SlopeNsPerS,
    double OffsetVarianceNs2, double CovarianceNs2PerS, double SlopeVarianceNs2PerS2)
{
    /// <summary>A run's slope this many of its own standard errors from zero is a drift; anything less is noise.</summary>
    public const double SlopeSigmas = 4.0;

    /// <summary>Least-squares line through the run's innovations, evaluated at now; null unless it grows away from
    /// zero with a significant slope.</summary>
    public static DriftLine? Fit(IReadOnlyList<(Instant<Utc> At, double InnovationNs, double SdNs)> run, Instant<Utc> now)
    {
        int n = run.Count;
        if (n < 4) return null;
        double meanT = run.Average(r => (r.At - now).Nanoseconds / 1e9);
        double meanY = run.Average(r => r.InnovationNs);
        double sxx = 0, sxy = 0;
        foreach (var (at, y, _) in run)
        {
            double dx = (at - now).Nanoseconds / 1e9 - meanT;
            sxx += dx * dx;
            sxy += dx * (y - meanY);
        }
        if (!(sxx > 0)) return null;
        double slope = sxy / sxx;
        double intercept = meanY - slope * meanT; // at now
        double rss = 0;
        foreach (var (at, y, _) in run)
        {
            double e = y - intercept - slope * (at - now).Nanoseconds / 1e9;
            rss += e * e;
        }
        double residualVariance = Math.Max(rss / (n - 2), 1);
        double slopeVariance = residualVariance / sxx;
        if (Math.Sign(slope) != Math.Sign(meanY) || Math.Abs(slope) < SlopeSigmas * Math.Sqrt(slopeVariance)) return null;
        // intercept = meanY - slope * meanT: var = s2/n + meanT^2 var(slope); cov(intercept, slope) = -meanT var(slope).
        return new DriftLine(run[0].At, n, intercept, slope,
            residualVariance / n + meanT * meanT * slopeVariance, -meanT * slopeVariance, slopeVariance);
    }
}
