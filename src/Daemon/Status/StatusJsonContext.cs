using System.Text.Json.Serialization;

namespace Sync.Daemon.Status;

/// <summary>Source-generated JSON for the status socket (no reflection, NativeAOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(StatusReply))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
