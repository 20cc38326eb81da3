using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>
/// A detected step or frequency jump of the offset between local clock and reference (e.g. live migration).
/// At is the local time of the first deviating sample. For a Step, Step is the mean deviation of the run from the
/// prediction and FrequencyChangePpm is 0. For a FrequencyJump, FrequencyChangePpm is the slope of the deviations
/// (positive: local now runs faster relative to the reference) and Step is the deviation extrapolated back to the
/// last normal sample when the run began too late to tell (a jump with a step), else 0. Samples is how many consecutive deviating samples triggered it.
/// </summary>
public sealed record Discontinuity(
    Instant<Utc> At,
    DiscontinuityKind Kind,
    Duration Step,
    double FrequencyChangePpm,
    int Samples);
