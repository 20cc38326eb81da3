using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Selection;
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
    ClockStatus LeapStatus,
    int TaiOffsetSeconds,
    long Steps,
    Duration UpdateInterval,
    IReadOnlyList<SourceSnapshot> Sources)
{
    /// <summary>Steps by reason (their sum is Steps); empty when the pipeline does not say.</summary>
    public IReadOnlyList<(StepReason Reason, long Count)> StepsByReason { get; init; } = [];

    /// <summary>Jumps of the clock seen in one sample since start (a pause, restore or migration).</summary>
    public long Jumps { get; init; }

    /// <summary>Times another program was found steering the clock (state Yielding while it does).</summary>
    public long ForeignWriterDetections { get; init; }

    /// <summary>vmclock's disruption marker as last read (null: the VM has no vmclock device, or it was not read).</summary>
    public ulong? VmClockMarker { get; init; }

    /// <summary>Times vmclock's disruption marker (or VM generation counter) changed since start: a snapshot restore or a
    /// migration, acted on before the next reading (kernel told unsynchronized, estimate restarted).</summary>
    public long VmClockDisruptions { get; init; }

    /// <summary>
    /// In the last update several sources had samples and no strict majority of them agreed within their bounds
    /// (two clocks that disagree): the followed one was kept (else the narrowest), but nothing says it is the right
    /// one. False with one source or when a majority agrees.
    /// </summary>
    public bool NoMajority { get; init; }

    /// <summary>
    /// TAI - UTC as a device serving a TAI and a UTC clock shows it (both read in one step), null until seen. Where the
    /// leap table has expired and the value is plausible it is <see cref="TaiOffsetSeconds"/>; else it is only shown.
    /// </summary>
    public int? ObservedTaiMinusUtc { get; init; }

    /// <summary>The observed TAI - UTC differs from the leap table (see <see cref="ObservedTaiMinusUtc"/>).</summary>
    public bool ObservedTaiMinusUtcDisagreesWithTable { get; init; }
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
    string? LastFailure)
{
    /// <summary>The window (mean sys_after - sys_before) of the last update's filtered sample.</summary>
    public Duration? Window { get; init; }

    /// <summary>The last update's offset after the calibration's correction.</summary>
    public Duration? CorrectedOffset { get; init; }

    /// <summary>The calibration's correction (the path's asymmetry) in the last update.</summary>
    public Duration? Correction { get; init; }

    /// <summary>How far the truth may be from the corrected offset: the calibrated allowance or half the window.</summary>
    public Duration? Allowance { get; init; }

    public CalibrationOrigin Calibration { get; init; }

    /// <summary>Used (selected), agreeing, left out as a falseticker, or no sample in the last update.</summary>
    public SourceVerdict Verdict { get; init; }

    /// <summary>Pairs measured against a narrower path so far.</summary>
    public int CalibrationPairs { get; init; }

    /// <summary>Filtered samples left out as stalled reads (window far wider than the source's typical one).</summary>
    public long StalledSamples { get; init; }
}
