using System.Text.Json.Serialization;

namespace Sync.Daemon.Simulation;

/// <summary>
/// A scheduled event of a run and its recovery (<see cref="FigureRules"/>): the time from the event (from the
/// device's return for an outage) until the error was back within threshold_ns and stayed there for the hold time;
/// null when that never happened before the next event or the end.
/// </summary>
public sealed record ScheduledEventResult(
    [property: JsonPropertyName("t_s")] double TimeS,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("recovery_s")] double? RecoveryS,
    [property: JsonPropertyName("threshold_ns")] double ThresholdNs = 0,
    [property: JsonPropertyName("max_abs_error_ns")] double MaxAbsErrorNs = 0);
