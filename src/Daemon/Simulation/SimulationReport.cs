using System.Text.Json.Serialization;

namespace Sync.Daemon.Simulation;

/// <summary>
/// The figures of one simulation run (report.json), by the definitions of <see cref="FigureRules"/>: the steady
/// figures count the samples after the warm-up outside every event window; the error is guest minus served clock.
/// </summary>
public sealed record SimulationReport
{
    [JsonPropertyName("scenario")] public required string Scenario { get; init; }
    [JsonPropertyName("seed")] public required long Seed { get; init; }
    [JsonPropertyName("duration_s")] public required double DurationS { get; init; }
    [JsonPropertyName("rms_offset_ns")] public required double? RmsOffsetNs { get; init; }
    [JsonPropertyName("max_abs_offset_ns")] public required double? MaxAbsOffsetNs { get; init; }
    [JsonPropertyName("converge_s")] public required double? ConvergeS { get; init; }
    [JsonPropertyName("steps")] public required long Steps { get; init; }
    [JsonPropertyName("bound_coverage")] public required double? BoundCoverage { get; init; }
    [JsonPropertyName("median_bound_ns")] public required double? MedianBoundNs { get; init; }
    [JsonPropertyName("discontinuities")] public required long Discontinuities { get; init; }
    /// <summary>Discontinuities (steps or rate changes) the estimator followed after the warm-up and outside every
    /// event window: changes the world did not make there, taken from noise, bursts or outliers.</summary>
    [JsonPropertyName("discontinuities_outside_events")] public long DiscontinuitiesOutsideEvents { get; init; }
    [JsonPropertyName("events")] public required IReadOnlyList<ScheduledEventResult> Events { get; init; }
    /// <summary>Mean of the signed error over the steady span (the bias).</summary>
    [JsonPropertyName("mean_offset_ns")] public double? MeanOffsetNs { get; init; }
    /// <summary>Standard deviation of the error over the steady span (RMS^2 = mean^2 + std^2).</summary>
    [JsonPropertyName("std_offset_ns")] public double? StdOffsetNs { get; init; }
    [JsonPropertyName("median_bound_over_rms")] public double? MedianBoundOverRms { get; init; }
    /// <summary>Coverage of the samples inside event windows and outages (after the warm-up).</summary>
    [JsonPropertyName("event_bound_coverage")] public double? EventBoundCoverage { get; init; }
    /// <summary>Samples that bear a bound, steady span plus event windows (pooled coverage needs the counts).</summary>
    [JsonPropertyName("bounded_samples")] public long BoundedSamples { get; init; }
    [JsonPropertyName("uncovered_samples")] public long UncoveredSamples { get; init; }
    [JsonPropertyName("steady_samples")] public long SteadySamples { get; init; }
    [JsonPropertyName("warm_up_s")] public double WarmUpS { get; init; }
    [JsonPropertyName("event_window_s")] public double EventWindowS { get; init; }
    [JsonPropertyName("wall_time_s")] public double WallTimeS { get; init; }
    /// <summary>The guest kernel's TAI offset at the end (what the pipeline set with ADJ_TAI), s.</summary>
    [JsonPropertyName("kernel_tai_offset_s")] public int KernelTaiOffsetS { get; init; }
    /// <summary>The world's true TAI - UTC at the end, s: what a right kernel TAI offset is.</summary>
    [JsonPropertyName("true_tai_minus_utc_s")] public int TrueTaiMinusUtcS { get; init; }
    /// <summary>TAI - UTC as the device's TAI and UTC clocks showed it at the end (null: no device serves both).</summary>
    [JsonPropertyName("observed_tai_minus_utc_s")] public int? ObservedTaiMinusUtcS { get; init; }
    /// <summary>The observed TAI - UTC differed from the guest's leap table.</summary>
    [JsonPropertyName("observed_tai_minus_utc_disagrees_with_table")] public bool ObservedTaiMinusUtcDisagreesWithTable { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SimulationReport))]
internal sealed partial class SimulationReportJson : JsonSerializerContext;
