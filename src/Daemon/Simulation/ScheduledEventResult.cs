using System.Text.Json.Serialization;

namespace Sync.Daemon.Simulation;

/// <summary>A scheduled event of a run and how long the guest took to get back under 1 us and stay there.</summary>
public sealed record ScheduledEventResult(
    [property: JsonPropertyName("t_s")] double TimeS,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("recovery_s")] double? RecoveryS);
