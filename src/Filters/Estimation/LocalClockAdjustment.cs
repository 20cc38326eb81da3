using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>
/// A change the discipline made to the local clock at local instant At: its frequency moved by
/// FrequencyChangePpm (positive: faster) and/or it was stepped by Step (positive: forward). Estimators use it
/// to keep their history consistent with the clock's new course.
/// </summary>
public readonly record struct LocalClockAdjustment(Instant<Utc> At, double FrequencyChangePpm, Duration Step);
