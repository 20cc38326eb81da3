using Sync.Filters.Estimation;

namespace Sync.Filters.Engine;

/// <summary>Makes the configured estimator with its default options.</summary>
public static class EstimatorFactory
{
    public static IClockEstimator Create(EstimatorKind kind) => kind switch
    {
        EstimatorKind.Regression => new RegressionEstimator(new RegressionOptions()),
        _ => new KalmanEstimator(new KalmanOptions()),
    };
}
