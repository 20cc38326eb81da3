using Sync.Filters.Time;

namespace Sync.Filters.Discipline;

/// <summary>
/// One update of the local clock, as the discipline wants it; null fields are left alone. The edge maps it to
/// one clock_adjtime call (FrequencyPpm to freq plus tick, Step to ADJ_SETOFFSET|ADJ_NANO).
/// FrequencyPpm is the total frequency correction (positive = run faster), within +-MaxFrequencyPpm.
/// </summary>
public sealed record ClockCommand
{
    /// <summary>freq (+-500 ppm) plus tick (+-10 %, in 100 ppm steps) together.</summary>
    public const double MaxFrequencyPpm = 100_000 + 500;

    public double? FrequencyPpm { get; init; }
    public Duration? Step { get; init; }

    /// <summary>Why Step is set (null when it is not).</summary>
    public StepReason? StepReason { get; init; }
    public ClockStatus? Status { get; init; }
    public Duration? MaxError { get; init; }
    public Duration? EstimatedError { get; init; }
    public int? TaiOffsetSeconds { get; init; }

    public bool IsEmpty => FrequencyPpm is null && Step is null && Status is null && MaxError is null
        && EstimatedError is null && TaiOffsetSeconds is null;
}
