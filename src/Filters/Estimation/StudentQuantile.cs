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
        _ => StudentT.InvCDF(0, 1, dof, p),
    };
}
