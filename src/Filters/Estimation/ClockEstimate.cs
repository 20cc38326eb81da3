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
    int SampleCount)
{
    /// <summary>
    /// A bound on |true offset| itself (how far the clock is from the reference, what maxerror states), with the same
    /// miss probability as <see cref="ErrorBound"/>, where the estimator knows how its error is distributed: the
    /// quantile of |true offset| under that distribution, at most |Offset| + ErrorBound (the triangle inequality, which
    /// counts the offset still to be slewed away in full on top of an error that may as well reduce it). Null: not
    /// known; <see cref="BoundOnTrueOffset"/> then takes that sum. Whoever moves Offset or widens ErrorBound sets it
    /// again (or to null).
    /// </summary>
    public Duration? TrueOffsetBound { get; init; }

    /// <summary>The bound on |true offset|: <see cref="TrueOffsetBound"/> where known, else |Offset| + ErrorBound.</summary>
    public Duration BoundOnTrueOffset => TrueOffsetBound is { } b && b <= Offset.Abs() + ErrorBound ? b : Offset.Abs() + ErrorBound;
}
