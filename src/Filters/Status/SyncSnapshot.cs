using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Status;

/// <summary>
/// Everything the sync loop knows at one moment, for metrics, the status command and systemd STATUS=.
/// Offsets are local - reference. Reach is chrony's 8-bit reachability register (bit 0 = last reading).
/// </summary>
public sealed record SyncSnapshot(
    Instant<Utc> At,
    SyncState State,
    string? SelectedSource,
    Duration? LastOffset,
    Duration RmsOffset,
    double FrequencyPpm,
    double ResidualFrequencyPpm,
    double SkewPpm,
    Duration ErrorBound,
    KernelStatus LeapStatus,
    int TaiOffsetSeconds,
    long Steps,
    Duration UpdateInterval,
    IReadOnlyList<SourceSnapshot> Sources)
{
    /// <summary>Steps by reason (their sum is Steps); empty when the pipeline does not say.</summary>
    public IReadOnlyList<(StepReason Reason, long Count)> StepsByReason { get; init; } = [];

    /// <summary>Jumps of the clock seen in one sample since start (a pause, restore or migration).</summary>
    public long Jumps { get; init; }
}

public sealed record SourceSnapshot(
    string Path,
    string Name,
    ClockScale Scale,
    bool Selected,
    byte Reach,
    ReadingMethod? Method,
    Duration? LastDelay,
    Duration? LastOffset,
    Duration? LastError,
    long Samples,
    string? LastFailure);
