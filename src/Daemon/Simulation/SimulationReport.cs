using System.Text.Json.Serialization;

namespace Sync.Daemon.Simulation;

/// <summary>The figures of one simulation run (report.json).</summary>
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
    [JsonPropertyName("events")] public required IReadOnlyList<ScheduledEventResult> Events { get; init; }
    [JsonPropertyName("wall_time_s")] public double WallTimeS { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SimulationReport))]
internal sealed partial class SimulationReportJson : JsonSerializerContext;
