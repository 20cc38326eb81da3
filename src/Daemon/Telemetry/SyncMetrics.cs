using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Sync.Daemon.Hosting;
using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Selection;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Daemon.Telemetry;

/// <summary>
/// Observable instruments over the loop's latest <see cref="SyncSnapshot"/>: nothing is recorded on the hot path,
/// each scrape reads <see cref="ISyncStatusProvider.Current"/>. Per-source series carry labels path, type, variant.
/// </summary>
public sealed class SyncMetrics : IHostedService, IDisposable
{
    private readonly ISyncStatusProvider _provider;
    private readonly Meter _meter;

    public SyncMetrics(ISyncStatusProvider provider, Chrony.ChronySockRefclock? chrony = null)
    {
        _provider = provider;
        _meter = new Meter(MetricNames.MeterName, DaemonVersion.Text);
        // virtsync_build_info comes from ProcessMetrics, in every mode.

        Gauge(MetricNames.OffsetSeconds, "s", "Last offset of the system clock from the reference (local - reference).", s => s.LastOffset?.TotalSeconds);
        Gauge(MetricNames.RmsOffsetSeconds, "s", "Long-term RMS of the offsets.", s => s.RmsOffset.TotalSeconds);
        Gauge(MetricNames.FrequencyPpms, null, "Frequency correction in effect, ppm (positive = system clock made faster).", s => s.FrequencyPpm);
        Gauge(MetricNames.ResidualFrequencyPpms, null, "Residual frequency of the selected source, ppm.", s => s.ResidualFrequencyPpm);
        Gauge(MetricNames.SkewPpms, null, "Estimated error bound of the frequency, ppm.", s => s.SkewPpm);
        Gauge(MetricNames.ErrorBoundSeconds, "s", "Bound on the system clock's error (grows in holdover).", s => s.ErrorBound.TotalSeconds);
        Gauge(MetricNames.LeapStatus, null, "0 normal, 1 insert second, 2 delete second, 3 unsynchronized.", s => LeapStatusCode(s.LeapStatus));
        Gauge(MetricNames.TaiOffsetSeconds, "s", "TAI - UTC in seconds as set in the kernel.", s => s.TaiOffsetSeconds);
        Gauge(MetricNames.ObservedTaiMinusUtcSeconds, "s", "TAI - UTC as a device serving TAI and UTC shows it; absent until seen.", s => s.ObservedTaiMinusUtc);
        Gauge(MetricNames.ObservedTaiMinusUtcDisagrees, null, "1 when the device's TAI - UTC differs from the leap table; absent until seen.",
            s => s.ObservedTaiMinusUtc is null ? null : s.ObservedTaiMinusUtcDisagreesWithTable ? 1 : 0);
        Gauge(MetricNames.SyncState, null, "0 acquiring, 1 tracking, 2 holdover, 3 recovery, 4 yielding (another program steers the clock).", s => (double)(int)s.State);
        Gauge(MetricNames.UpdateIntervalSeconds, "s", "Interval between clock updates.", s => s.UpdateInterval.TotalSeconds);
        Gauge(MetricNames.NoMajority, null, "1 when several clocks had samples and no majority of them agreed within their bounds.", s => s.NoMajority ? 1 : 0);
        _meter.CreateObservableCounter(MetricNames.StepsTotal, Steps,
            description: "Steps of the system clock since start, by reason (startup, discontinuity, jump).");
        _meter.CreateObservableCounter(MetricNames.ForeignWriterDetectionsTotal,
            () => _provider.Current is { } s ? [new Measurement<long>(s.ForeignWriterDetections)] : Array.Empty<Measurement<long>>(),
            description: "Times another program was found steering the system clock (virtsync then stops steering until it is quiet).");
        _meter.CreateObservableCounter(MetricNames.VmClockDisruptionsTotal,
            () => _provider.Current is { VmClockMarker: not null } s ? [new Measurement<long>(s.VmClockDisruptions)] : Array.Empty<Measurement<long>>(),
            description: "Times vmclock's disruption marker or VM generation counter changed (snapshot restore, migration); absent without a vmclock device.");

        if (chrony is not null)
        {
            _meter.CreateObservableCounter(MetricNames.ChronySamplesSentTotal, () => chrony.Sent,
                description: "Samples sent to chronyd's SOCK refclock (chrony agent).");
            _meter.CreateObservableCounter(MetricNames.ChronySamplesDroppedTotal, () => chrony.Dropped,
                description: "Samples that did not reach chronyd (socket missing or refused).");
            _meter.CreateObservableGauge(MetricNames.ChronyFeeding, () => chrony.Feeding ? 1 : 0,
                description: "1 while the last sample reached chronyd's socket, else 0.");
        }

        SourceGauge(MetricNames.SourceReachability, null, "Reachability register (8 bits, bit 0 = last reading).", s => s.Reach);
        SourceGauge(MetricNames.SourceDelaySeconds, "s", "Delay of the last reading.", s => s.LastDelay?.TotalSeconds);
        SourceGauge(MetricNames.SourceOffsetSeconds, "s", "Offset of the last sample (local - source).", s => s.LastOffset?.TotalSeconds);
        SourceGauge(MetricNames.SourceSelected, null, "1 for the source the system clock follows.", s => s.Selected ? 1 : 0);
        SourceGauge(MetricNames.SourceWindowSeconds, "s", "Window (sys_after - sys_before) of the source's last filtered sample.", s => s.Window?.TotalSeconds);
        SourceGauge(MetricNames.SourceCorrectedOffsetSeconds, "s", "Offset of the source's last filtered sample after its calibration (local - source).", s => s.CorrectedOffset?.TotalSeconds);
        SourceGauge(MetricNames.SourceCalibrationSeconds, "s", "Calibrated asymmetry: how much too high the source's offsets read (0 without calibration).", s => s.Correction?.TotalSeconds);
        SourceGauge(MetricNames.SourceAllowanceSeconds, "s", "Asymmetry allowance in the source's bound: the calibrated one, else half the window.", s => s.Allowance?.TotalSeconds);
        SourceGauge(MetricNames.SourceFalseticker, null, "1 when the source disagreed beyond its bound in the last update and was left out.", s => s.Verdict == SourceVerdict.Falseticker ? 1 : 0);
        _meter.CreateObservableGauge(MetricNames.SourceReadingMethod, ReadingMethods,
            description: "Always 1; the method label names how the source was last read (precise, extended, basic, clock_gettime).");
        _meter.CreateObservableCounter(MetricNames.SourceSamplesTotal, SourceSamples, description: "Samples taken from the source since start.");
    }

    public static int LeapStatusCode(ClockStatus status) =>
        status.HasFlag(ClockStatus.Unsynchronized) ? 3 : status.HasFlag(ClockStatus.InsertLeap) ? 1 : status.HasFlag(ClockStatus.DeleteLeap) ? 2 : 0;

    public static string MethodName(ReadingMethod method) => method switch
    {
        ReadingMethod.Precise => "precise",
        ReadingMethod.Extended => "extended",
        ReadingMethod.Basic => "basic",
        ReadingMethod.ClockGettime => "clock_gettime",
        _ => "unknown",
    };

    public static string TypeLabel(ClockScale scale) => scale.Scale switch
    {
        TimeScale.Utc => "utc",
        TimeScale.Tai => "tai",
        TimeScale.Monotonic => "monotonic",
        TimeScale.UtcSmeared => "utc-smeared",
        TimeScale.UtcMaybeSmeared => "utc-maybe-smeared",
        _ => $"type-{(byte)scale.Scale}",
    };

    public static string VariantLabel(ClockScale scale) => scale.Variant switch
    {
        SmearVariant.NoonLinear => "noon",
        SmearVariant.UtcSls => "sls",
        _ => "none",
    };

    private void Gauge(string name, string? unit, string description, Func<SyncSnapshot, double?> read) =>
        _meter.CreateObservableGauge(name, () => _provider.Current is { } s && read(s) is { } v ? [new Measurement<double>(v)] : Array.Empty<Measurement<double>>(),
            unit, description);

    private void SourceGauge(string name, string? unit, string description, Func<SourceSnapshot, double?> read) =>
        _meter.CreateObservableGauge(name, () => PerSource(read), unit, description);

    private IEnumerable<Measurement<double>> PerSource(Func<SourceSnapshot, double?> read)
    {
        if (_provider.Current is not { } snapshot) yield break;
        foreach (var source in snapshot.Sources)
            if (read(source) is { } value) yield return new Measurement<double>(value, SourceTags(source));
    }

    private IEnumerable<Measurement<long>> Steps()
    {
        if (_provider.Current is not { } snapshot) yield break;
        if (snapshot.StepsByReason.Count == 0)
        {
            yield return new Measurement<long>(snapshot.Steps);
            yield break;
        }
        foreach (var (reason, count) in snapshot.StepsByReason)
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("reason", StepReasons.Name(reason)));
    }

    private IEnumerable<Measurement<long>> SourceSamples()
    {
        if (_provider.Current is not { } snapshot) yield break;
        foreach (var source in snapshot.Sources) yield return new Measurement<long>(source.Samples, SourceTags(source));
    }

    private IEnumerable<Measurement<long>> ReadingMethods()
    {
        if (_provider.Current is not { } snapshot) yield break;
        foreach (var source in snapshot.Sources)
        {
            if (source.Method is not { } method) continue;
            var tags = SourceTags(source);
            yield return new Measurement<long>(1, [tags[0], tags[1], tags[2], new("method", MethodName(method))]);
        }
    }

    private static KeyValuePair<string, object?>[] SourceTags(SourceSnapshot source) =>
    [
        new("path", source.Path),
        new("type", TypeLabel(source.Scale)),
        new("variant", VariantLabel(source.Scale)),
    ];

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public void Dispose() => _meter.Dispose();
}
