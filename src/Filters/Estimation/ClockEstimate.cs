using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>
/// What an estimator believes about the local clock at one local instant: its offset from the reference
/// (local - reference), its frequency error (positive: local runs fast) and how sure it is. ErrorBound is a
/// bound on |true offset - Offset| the estimator stands behind (used for maxerror/esterror and coverage).
/// </summary>
public sealed record ClockEstimate(
    Instant<Utc> At,
    Duration Offset,
    double FrequencyPpm,
    Duration OffsetStdDev,
    double FrequencyStdDevPpm,
    Duration ErrorBound,
    int SampleCount);
