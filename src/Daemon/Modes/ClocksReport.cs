using System.Text.Json.Serialization;

namespace Sync.Daemon.Modes;

/// <summary>What `virtsyncd clocks` found, as printed with --json.</summary>
internal sealed record ClocksReport(IReadOnlyList<PhcReport> Clocks, ChoiceReport Choice, VmClockReport? Vmclock);

internal sealed record PhcReport(
    string Device,
    IReadOnlyList<string> Symlinks,
    string ClockName,
    string Kind,
    string Scale,
    int? VirtioType,
    int? VirtioVariant,
    bool UsableForRealtime,
    string? Note,
    CapabilitiesReport? Capabilities,
    IReadOnlyList<MethodReport> Methods,
    LiveReadingReport? Reading,
    string? Error);

internal sealed record CapabilitiesReport(string Request, int MaxAdjustmentPpb, bool CrossTimestamping, int Pins, bool Pps);

internal sealed record MethodReport(string Method, string Call, bool Works, string? Errno, string? Error);

/// <summary>The fastest sample of one reading: PHC minus the CLOCK_REALTIME midpoint, and its delay.</summary>
internal sealed record LiveReadingReport(string Method, int Samples, long PhcMinusRealtimeNs, long DelayNs);

internal sealed record ChoiceReport(string? Device, string Reason);

internal sealed record VmClockReport(
    string Path,
    string? Error,
    ulong? DisruptionMarker,
    string? ClockStatus,
    string? LeapIndicator,
    int? TaiOffsetSeconds,
    ulong? TimeEsterrorNs,
    ulong? TimeMaxerrorNs,
    string? Flags);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClocksReport))]
internal sealed partial class ClocksJsonContext : JsonSerializerContext;
