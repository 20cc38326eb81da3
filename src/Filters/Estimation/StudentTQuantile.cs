using MathNet.Numerics.Distributions;

namespace Sync.Filters.Estimation;

/// <summary>
/// Student's t quantiles that never throw: MathNet's root finder gives up in the far tails at few degrees of
/// freedom (e.g. 1 dof at 0.99995), where the closed forms for 1 and 2 dof are exact.
/// </summary>
public static class StudentTQuantile
{
    public static double InvCdf(int degreesOfFreedom, double p)
    {
        if (degreesOfFreedom < 1)
            return double.PositiveInfinity;
        if (degreesOfFreedom == 1)
            return Math.Tan(Math.PI * (p - 0.5));
        if (degreesOfFreedom == 2)
        {
            var a = 4 * p * (1 - p);
            return (2 * p - 1) * Math.Sqrt(2 / a);
        }
        try
        {
            return StudentT.InvCDF(0, 1, degreesOfFreedom, p);
        }
        catch (MathNet.Numerics.NonConvergenceException)
        {
            return Normal.InvCDF(0, 1, p) * Math.Sqrt(degreesOfFreedom / (degreesOfFreedom - 2.0));
        }
    }
}
