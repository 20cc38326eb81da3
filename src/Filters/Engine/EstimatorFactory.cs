using Sync.Filters.Estimation;

namespace Sync.Filters.Engine;

/// <summary>Makes the configured estimator with the given (or default) options.</summary>
public static class EstimatorFactory
{
    public static IClockEstimator Create(EstimatorKind kind) => Create(kind, null, null);

    public static IClockEstimator Create(EstimatorKind kind, KalmanOptions? kalman, RegressionOptions? regression) => kind switch
    {
        EstimatorKind.Regression => new RegressionEstimator(regression ?? new RegressionOptions()),
        _ => new KalmanEstimator(kalman ?? new KalmanOptions()),
    };
}
