using Sync.Daemon.Telemetry;
using Sync.Filters.Discipline;
using Sync.Filters.Status;

namespace Sync.Daemon.Status;

/// <summary>
/// The status socket's JSON (version 1): a <see cref="SyncSnapshot"/> in plain units (seconds, ppm, names), so
/// scripts can read it without knowing our types. Null means "not known yet".
/// </summary>
public sealed record StatusDocument
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public string Daemon { get; init; } = "virtsyncd";
    public string DaemonVersion { get; init; } = global::Sync.Daemon.DaemonVersion.Text;
    public long AtUnixNanoseconds { get; init; }
    public string State { get; init; } = "acquiring";
    public string? SelectedSource { get; init; }
    public double? LastOffsetSeconds { get; init; }
    public double RmsOffsetSeconds { get; init; }
    public double FrequencyPpm { get; init; }
    public double ResidualFrequencyPpm { get; init; }
    public double SkewPpm { get; init; }
    public double ErrorBoundSeconds { get; init; }
    public string LeapStatus { get; init; } = "normal";
    public int TaiOffsetSeconds { get; init; }

    /// <summary>TAI - UTC as a device serving TAI and UTC shows it; null until seen (see SyncSnapshot.ObservedTaiMinusUtc).</summary>
    public int? ObservedTaiMinusUtcSeconds { get; init; }

    /// <summary>The observed TAI - UTC differs from the leap table.</summary>
    public bool ObservedTaiMinusUtcDisagreesWithTable { get; init; }
    public long Steps { get; init; }

    /// <summary>Steps by reason name (startup, discontinuity, jump); sums to Steps when the pipeline says.</summary>
    public IReadOnlyDictionary<string, long> StepsByReason { get; init; } = new Dictionary<string, long>();

    /// <summary>Jumps of the clock seen in one sample (pause, restore, migration) since start.</summary>
    public long Jumps { get; init; }

    /// <summary>Times another program was found steering the clock (state "yielding" while it does).</summary>
    public long ForeignWriterDetections { get; init; }

    /// <summary>vmclock's disruption marker as last read; null without a vmclock device.</summary>
    public ulong? VmClockMarker { get; init; }

    /// <summary>Times the vmclock disruption marker (or VM generation counter) changed since start (restore, migration).</summary>
    public long VmClockDisruptions { get; init; }
    public double UpdateIntervalSeconds { get; init; }

    /// <summary>Several clocks had samples and no majority of them agreed within their bounds (see SyncSnapshot.NoMajority).</summary>
    public bool NoMajority { get; init; }
    public IReadOnlyList<StatusSource> Sources { get; init; } = [];

    /// <summary>The chrony refclock agent, when enabled (null otherwise).</summary>
    public StatusChrony? Chrony { get; init; }

    public static StatusDocument From(SyncSnapshot s) => new()
    {
        AtUnixNanoseconds = s.At.Nanoseconds,
        State = StateName(s.State),
        SelectedSource = s.SelectedSource,
        LastOffsetSeconds = s.LastOffset?.TotalSeconds,
        RmsOffsetSeconds = s.RmsOffset.TotalSeconds,
        FrequencyPpm = s.FrequencyPpm,
        ResidualFrequencyPpm = s.ResidualFrequencyPpm,
        SkewPpm = s.SkewPpm,
        ErrorBoundSeconds = s.ErrorBound.TotalSeconds,
        LeapStatus = LeapName(s.LeapStatus),
        TaiOffsetSeconds = s.TaiOffsetSeconds,
        ObservedTaiMinusUtcSeconds = s.ObservedTaiMinusUtc,
        ObservedTaiMinusUtcDisagreesWithTable = s.ObservedTaiMinusUtcDisagreesWithTable,
        Steps = s.Steps,
        StepsByReason = s.StepsByReason.ToDictionary(x => StepReasons.Name(x.Reason), x => x.Count),
        Jumps = s.Jumps,
        ForeignWriterDetections = s.ForeignWriterDetections,
        VmClockMarker = s.VmClockMarker,
        VmClockDisruptions = s.VmClockDisruptions,
        UpdateIntervalSeconds = s.UpdateInterval.TotalSeconds,
        NoMajority = s.NoMajority,
        Sources = s.Sources.Select(StatusSource.From).ToList(),
    };

    public static string StateName(SyncState state) => state switch
    {
        SyncState.Acquiring => "acquiring",
        SyncState.Tracking => "tracking",
        SyncState.Holdover => "holdover",
        SyncState.Recovery => "recovery",
        SyncState.Yielding => "yielding",
        _ => "unknown",
    };

    public static string LeapName(ClockStatus status) => SyncMetrics.LeapStatusCode(status) switch
    {
        1 => "insert-second",
        2 => "delete-second",
        3 => "unsynchronized",
        _ => "normal",
    };
}

/// <summary>The chrony agent in <see cref="StatusDocument.Chrony"/>: is chronyd getting the samples?</summary>
public sealed record StatusChrony
{
    public string SocketPath { get; init; } = "";
    public bool Feeding { get; init; }
    public long SamplesSent { get; init; }
    public long SamplesDropped { get; init; }
    public string? LastError { get; init; }
    public bool DryRun { get; init; }

    /// <summary>How the agent reads the clock for chronyd: the chrony-mode keys as configured
    /// (<see cref="Configuration.ConfigKeys.Chrony.ReadingSummary"/>), e.g. "sources:samplesPerReading=25, sources:filter=delay-corrected".</summary>
    public string Reading { get; init; } = "";

    public static StatusChrony From(Chrony.ChronySockRefclock c, string reading = "") => new()
    {
        Reading = reading,
        SocketPath = c.SocketPath,
        Feeding = c.Feeding,
        SamplesSent = c.Sent,
        SamplesDropped = c.Dropped,
        LastError = c.LastError,
        DryRun = c.DryRun,
    };
}

/// <summary>One clock in <see cref="StatusDocument.Sources"/>.</summary>
public sealed record StatusSource
{
    public string Path { get; init; } = "";
    public string Name { get; init; } = "";
    public string Type { get; init; } = "";
    public string Variant { get; init; } = "none";
    public bool Selected { get; init; }
    public int Reach { get; init; }
    public string? Method { get; init; }
    public double? LastDelaySeconds { get; init; }
    public double? LastOffsetSeconds { get; init; }
    public double? LastErrorSeconds { get; init; }
    public long Samples { get; init; }
    public string? LastFailure { get; init; }

    /// <summary>The last update's window, calibrated offset, calibration (none, configured, measured), its
    /// correction and allowance, and what the combiner made of the source (selected, truechimer, falseticker, no-sample).</summary>
    public double? WindowSeconds { get; init; }
    public double? CorrectedOffsetSeconds { get; init; }
    public string Calibration { get; init; } = "none";
    public double? CorrectionSeconds { get; init; }
    public double? AllowanceSeconds { get; init; }
    public string Verdict { get; init; } = "no-sample";

    /// <summary>Filtered samples left out as stalled reads (window far wider than the source's typical one).</summary>
    public long StalledSamples { get; init; }

    public static StatusSource From(SourceSnapshot s) => new()
    {
        Path = s.Path,
        Name = s.Name,
        Type = SyncMetrics.TypeLabel(s.Scale),
        Variant = SyncMetrics.VariantLabel(s.Scale),
        Selected = s.Selected,
        Reach = s.Reach,
        Method = s.Method is { } m ? SyncMetrics.MethodName(m) : null,
        LastDelaySeconds = s.LastDelay?.TotalSeconds,
        LastOffsetSeconds = s.LastOffset?.TotalSeconds,
        LastErrorSeconds = s.LastError?.TotalSeconds,
        Samples = s.Samples,
        LastFailure = s.LastFailure,
        WindowSeconds = s.Window?.TotalSeconds,
        CorrectedOffsetSeconds = s.CorrectedOffset?.TotalSeconds,
        Calibration = s.Calibration.ToString().ToLowerInvariant(),
        CorrectionSeconds = s.Correction?.TotalSeconds,
        AllowanceSeconds = s.Allowance?.TotalSeconds,
        Verdict = s.Verdict == Sync.Filters.Selection.SourceVerdict.NoSample ? "no-sample" : s.Verdict.ToString().ToLowerInvariant(),
        StalledSamples = s.StalledSamples,
    };
}
