using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Estimation;

/// <summary>Builds either estimator and reaches their shared extras (outcome, discontinuity, holdover error).</summary>
internal static class EstimatorKind
{
    public const string Regression = "regression";
    public const string Kalman = "kalman";

    public static IClockEstimator Create(string kind, double wanderS2PerS3 = 1e-18) => kind switch
    {
        Regression => new RegressionEstimator(new RegressionOptions { FrequencyWanderS2PerS3 = wanderS2PerS3 }),
        Kalman => new KalmanEstimator(new KalmanOptions { Wander = WanderOptions.Fixed(wanderS2PerS3) }),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static SampleOutcome Add(IClockEstimator e, OffsetSample s) => e switch
    {
        RegressionEstimator r => r.Add(s),
        KalmanEstimator k => k.Add(s),
        _ => throw new ArgumentOutOfRangeException(nameof(e)),
    };

    public static Discontinuity? LastDiscontinuity(IClockEstimator e) => e switch
    {
        RegressionEstimator r => r.LastDiscontinuity,
        KalmanEstimator k => k.LastDiscontinuity,
        _ => throw new ArgumentOutOfRangeException(nameof(e)),
    };

    public static Duration? PredictionErrorAt(IClockEstimator e, Instant<Utc> t) => e switch
    {
        RegressionEstimator r => r.PredictionErrorAt(t),
        KalmanEstimator k => k.PredictionErrorAt(t),
        _ => throw new ArgumentOutOfRangeException(nameof(e)),
    };
}
