using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sync.Clock.Abstractions;
using Sync.Daemon.Chrony;
using Sync.Daemon.Cli;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Filters.Discipline;
using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// `virtsyncd sync` as a hosted service: opens the PTP clocks and the system clock (<see cref="SyncEdges"/>), then runs the
/// <see cref="SyncLoop"/> at the configured read interval, publishing every snapshot. Writes the clock only when
/// the configuration allows it. Otherwise (--dry-run, write_enabled = false, the chrony agent) the engine only
/// observes: a <see cref="ClockObserver"/> reads the kernel's frequency back before each reading so the estimates
/// stay true while someone else (or nobody) steers; --dry-run logs each clock_adjtime call it would make (Debug);
/// the chrony agent sends each reading's own offset to chronyd.
/// </summary>
public sealed partial class SyncService(
    VirtsyncOptions options, SyncStatusPublisher publisher, TimeProvider time, DaemonExit exit,
    ILoggerFactory loggers, ChronySockRefclock? chrony, SyncEdges edges) : BackgroundService
{
    private readonly ILogger _log = loggers.CreateLogger<SyncService>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var opened = edges.OpenClocks();
        if (!opened.IsOk)
        {
            exit.Fail(ExitCodes.RuntimeFailure, opened.Error!.Message);
            return;
        }
        var clocks = opened.Value;
        var system = edges.OpenSystemClock();

        var now = system.Now();
        var table = LeapSecondFile.Load(options.Sources.LeapSecondsFile, now, _log);
        var initialPpm = system.ReadState() is { IsOk: true } state ? state.Value.FrequencyPpm : 0;

        var observing = !options.MaySteerClock;
        var pipeline = new EnginePipeline(options.ToEngineOptions(), table, options.Sources.SamplesPerReading,
            Duration.FromSeconds(options.Sources.ReadIntervalSeconds), initialPpm);
        pipeline.AddSources(clocks);
        var loop = new SyncLoop(pipeline, clocks, system, writeEnabled: true, combine: options.Sources.Combine,
            observer: observing ? new ClockObserver(system, pipeline.Engine) : null)
        {
            ForeignWriters = options.MaySteerClock
                ? new ForeignWriterGuard(Duration.FromSeconds(options.Discipline.ForeignWriterQuietSeconds))
                : null,
            // vmclock's disruption marker where the VM has the device (/dev/vmclock0); none: nothing to watch.
            VmClockDisruptions = VmClockDisruptionWatcher.Open(out _),
        };
        if (loop.VmClockDisruptions is not null)
            LogVmClockWatched();
        loop.VmClockDisrupted += d => LogVmClockDisrupted(d.PreviousMarker, d.Marker,
            d.Generation is { } g ? $", VM generation {d.PreviousGeneration} -> {g}" : "");
        loop.ForeignWriterChanged += verdict =>
        {
            if (verdict.Detected)
                LogForeignWriter(verdict.Change ?? "?", options.Discipline.ForeignWriterQuietSeconds);
            else if (verdict.Resumed)
                LogForeignWriterGone(options.Discipline.ForeignWriterQuietSeconds);
        };
        using var timeouts = new ClockTimeoutReporter(loggers.CreateLogger<ClockTimeoutReporter>());
        loop.ReadCompleted += timeouts.Observe;
        loop.Updated += publisher.Publish;
        if (chrony is not null)
        {
            // One sample per reading: the estimator's offset at the reading's own time, with that reading in it (the
            // filtered offset, not the reading's raw window); the leap flag as the engine last set it.
            var leap = ChronyLeap.Normal;
            loop.Updated += snapshot => leap = ChronySockSample.LeapOf(snapshot.LeapStatus);
            pipeline.Engine.EstimateMeasured += (_, sample) => chrony.Send(sample.LocalTime, sample.Offset, leap);
            // At Debug, each sample beside the reading it came from (what the lab compares with its reference).
            if (_log.IsEnabled(LogLevel.Debug))
            {
                OffsetSample? reading = null;
                (double Slope, Duration LastShift, double Within, double Across, double AcrossError)? correction = null;
                pipeline.Engine.ReadingMeasured += (id, r) =>
                {
                    reading = r;
                    correction = pipeline.Engine.DelayCorrection(id);
                };
                pipeline.Engine.EstimateMeasured += (_, sample) =>
                {
                    var same = reading is { } r && r.LocalTime == sample.LocalTime;
                    LogChronySample(sample.LocalTime.Nanoseconds, sample.Offset.TotalMicroseconds, sample.Error.TotalMicroseconds,
                        same ? reading!.Value.Offset.TotalMicroseconds : double.NaN, same ? reading!.Value.Delay.TotalMicroseconds : double.NaN,
                        same && correction is { } c ? c.Slope : double.NaN, same && correction is { } k ? k.LastShift.TotalMicroseconds : double.NaN,
                        same && correction is { } w ? w.Within : double.NaN, same && correction is { } a ? a.Across : double.NaN,
                        same && correction is { } e ? e.AcrossError : double.NaN);
                };
            }
        }
        loop.CommandIssued += command => LogCommand(command.ToString());
        var steps = new StepReporter(loggers.CreateLogger<StepReporter>(), pipeline.Engine);
        loop.CommandIssued += steps.OnCommand;
        loop.Updated += _ => steps.AfterStep();
        var announced = false;
        loop.Updated += snapshot =>
        {
            if (announced || snapshot.LastOffset is not { } offset)
                return;
            announced = true;
            LogReady(snapshot.SelectedSource ?? "?", offset.TotalMicroseconds);
        };
        LogStarted(string.Join(", ", clocks.Select(c => $"{c.Info.Path} ({c.Info.Name}, {c.Info.Scale})")), options.MaySteerClock);
        if (TaiMinusUtcHint(table, now, [.. clocks.Select(c => c.Info.Scale)], options.Sources.Combine) is { } hint)
            LogTaiMinusUtcHint(hint);

        long applyFailures = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Sources.ReadIntervalSeconds), time);
        try
        {
            do
            {
                loop.Step();
                if (loop.LastApplyError is { Kind: ClockErrorKind.PermissionDenied } denied)
                {
                    exit.Fail(ExitCodes.RuntimeFailure, $"{denied.Message}: steering the clock needs CAP_SYS_TIME");
                    return;
                }
                if (loop.LastApplyError is { } failed && applyFailures++ % 100 == 0)
                    LogApplyFailed(failed.ToString(), applyFailures);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var clock in clocks)
                clock.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "chrony sample at {LocalNs}: sent {OffsetUs:0.000} us +-{ErrorUs:0.000}; the reading alone {ReadingUs:0.000} us, delay {DelayUs:0.0} us; delay correction K {Slope:0.000}, moved {ShiftUs:0.000} us; within readings {Within:0.000}, across readings {Across:0.000} +-{AcrossError:0.000}")]
    private partial void LogChronySample(long localNs, double offsetUs, double errorUs, double readingUs, double delayUs, double slope, double shiftUs,
        double within, double across, double acrossError);

    [LoggerMessage(Level = LogLevel.Information, Message = "sync started with {Clocks}; steering the clock: {Steering}")]
    private partial void LogStarted(string clocks, bool steering);

    [LoggerMessage(Level = LogLevel.Information, Message = "READY: first estimate from {Source}: offset {OffsetUs:0.000} us")]
    private partial void LogReady(string source, double offsetUs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "clock_adjtime failed: {Error} ({Count} failures so far)")]
    private partial void LogApplyFailed(string error, long count);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "another program is steering the system clock ({Change}): stopped steering until it has left the clock alone for {QuietSeconds} s (stop chronyd/ntpd/timesyncd, or use virtsyncd-chrony.service)")]
    private partial void LogForeignWriter(string change, double quietSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "watching vmclock's disruption marker (/dev/vmclock0): a snapshot restore or migration resets the estimate at once")]
    private partial void LogVmClockWatched();

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "vmclock disruption marker changed ({Before} -> {After}{Generation}): the VM was restored or migrated; estimate dropped, kernel told unsynchronized (maxerror 16 s) until resynchronized")]
    private partial void LogVmClockDisrupted(ulong before, ulong after, string generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the clock has been left alone for {QuietSeconds} s: steering again, starting over")]
    private partial void LogForeignWriterGone(double quietSeconds);

    /// <summary>
    /// What to do where TAI - UTC can go wrong: the leap table has expired and the preferred clock serves TAI, so a leap
    /// after the expiry is known only from a UTC clock read with it (sources:combine). Null when there is nothing to say.
    /// </summary>
    public static string? TaiMinusUtcHint(LeapSecondTable table, Instant<Utc> now, IReadOnlyList<ClockScale> scales, bool combine)
    {
        if (!table.IsExpiredAt(now) || scales.Count == 0 || scales[0].Scale != TimeScale.Tai)
            return null;
        var utcToo = scales.Any(s => s.Scale == TimeScale.Utc);
        if (combine && utcToo)
            return null;
        return utcToo
            ? "the leap-second table has expired and the preferred clock serves TAI: set sources:combine = true so that TAI - UTC is taken from the device's TAI and UTC clocks read together (else a leap second after the expiry leaves the clock whole seconds off)"
            : "the leap-second table has expired and the preferred clock serves TAI with no UTC clock beside it: a leap second after the expiry would leave the clock whole seconds off; update sources:leapSecondsFile";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "TAI - UTC: {Hint}")]
    private partial void LogTaiMinusUtcHint(string hint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "clock command {Command}")]
    private partial void LogCommand(string command);
}
