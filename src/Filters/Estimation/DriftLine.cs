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

    /// <summary>Least-squares line through the run's innovations (<see cref="WeightedLineFit"/>, equal weights, the
    /// residual variance at least 1 ns^2), evaluated at now; null unless it grows away from zero with a significant
    /// slope.</summary>
    public static DriftLine? Fit(IReadOnlyList<(Instant<Utc> At, double InnovationNs, double SdNs)> run, Instant<Utc> now)
    {
        int n = run.Count;
        if (n < 4) return null;
        var xS = new double[n];
        var yNs = new double[n];
        var weights = new double[n];
        for (int i = 0; i < n; i++)
        {
            xS[i] = (run[i].At - now).Nanoseconds / 1e9;
            yNs[i] = run[i].InnovationNs;
            weights[i] = 1;
        }
        var line = WeightedLineFit.Fit(xS, yNs, weights);
        double residualVariance = Math.Max(line.ResidualScale2, 1);
        double slopeVariance = line.UnitSlopeVariance * residualVariance;
        if (Math.Sign(line.SlopeNsPerS) != Math.Sign(run.Average(r => r.InnovationNs))
            || Math.Abs(line.SlopeNsPerS) < SlopeSigmas * Math.Sqrt(slopeVariance))
            return null;
        return new DriftLine(run[0].At, n, line.InterceptNs, line.SlopeNsPerS,
            line.UnitInterceptVariance * residualVariance, line.UnitCovariance * residualVariance, slopeVariance);
    }
}
