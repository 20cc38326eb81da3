using System.Collections.Concurrent;
using MathNet.Numerics.Distributions;

namespace Sync.Filters.Estimation;

/// <summary>
/// Quantiles of Student's t (standard), cached: the estimators ask for the same few per degree of freedom on
/// every update. One and two degrees of freedom use the closed forms (MathNet's root finder does not converge
/// in their far tails).
/// </summary>
internal static class StudentQuantile
{
    private static readonly ConcurrentDictionary<(int Dof, double P), double> Cache = new();

    public static double Of(int degreesOfFreedom, double probability)
    {
        if (degreesOfFreedom < 1) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom));
        return Cache.GetOrAdd((degreesOfFreedom, probability), static key => Compute(key.Dof, key.P));
    }

    private static double Compute(int dof, double p) => dof switch
    {
        1 => Math.Tan(Math.PI * (p - 0.5)),
        2 => (2 * p - 1) / Math.Sqrt(2 * p * (1 - p)),
        _ => Iterated(dof, p),
    };

    /// <summary>MathNet's root finder can give up in far tails at few degrees of freedom: fall back to the normal
    /// quantile scaled to Student t's variance (a slight over-estimate, which keeps bounds on the safe side).</summary>
    private static double Iterated(int dof, double p)
    {
        try
        {
            return StudentT.InvCDF(0, 1, dof, p);
        }
        catch (MathNet.Numerics.NonConvergenceException)
        {
            return Normal.InvCDF(0, 1, p) * Math.Sqrt(dof / (dof - 2.0));
        }
    }
}
