using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Sync.Daemon.Hosting;

namespace Sync.Daemon.Telemetry;

/// <summary>
/// What every mode exports about itself: virtsync_build_info (version and mode, which the Grafana instance picker
/// lists for sync and serve alike) and the process: CPU seconds, resident memory, open fds, start time, and the
/// .NET GC (collections per generation, heap size, pause time). Observable: read at each scrape, nothing recorded.
/// Names follow the Prometheus client libraries' process_* metrics.
/// </summary>
public sealed class ProcessMetrics : IHostedService, IDisposable
{
    private readonly Meter _meter;
    private readonly double _startTimeSeconds;

    public ProcessMetrics(DaemonRole role)
    {
        using (var self = Process.GetCurrentProcess())
            _startTimeSeconds = new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1e3;
        string mode = role switch { DaemonRole.Sync => "sync", DaemonRole.Serve => "serve", _ => "simulate" };
        _meter = new Meter(MetricNames.MeterName, DaemonVersion.Text);
        _meter.CreateObservableGauge(MetricNames.BuildInfo, () => new Measurement<long>(1,
            new KeyValuePair<string, object?>("version", DaemonVersion.Text), new KeyValuePair<string, object?>("mode", mode)),
            description: "Always 1; the version label names the running build, mode the virtsyncd mode (sync, serve, simulate).");
        _meter.CreateObservableCounter(MetricNames.ProcessCpuSecondsTotal, () => CpuSeconds(),
            description: "User and system CPU time of the process.");
        _meter.CreateObservableGauge(MetricNames.ProcessResidentMemoryBytes, () => ResidentBytes(), description: "Resident set size.");
        _meter.CreateObservableGauge(MetricNames.ProcessOpenFds, () => OpenFds(), description: "Open file descriptors.");
        _meter.CreateObservableGauge(MetricNames.ProcessStartTimeSeconds, () => _startTimeSeconds, description: "Start time, Unix seconds.");
        _meter.CreateObservableCounter(MetricNames.DotnetGcCollectionsTotal, () => new[]
        {
            Generation(0), Generation(1), Generation(2),
        }, description: "Garbage collections by generation.");
        _meter.CreateObservableGauge(MetricNames.DotnetGcHeapBytes, () => GC.GetGCMemoryInfo().HeapSizeBytes, description: "GC heap size after the last collection.");
        _meter.CreateObservableCounter(MetricNames.DotnetGcPauseSecondsTotal, () => GC.GetTotalPauseDuration().TotalSeconds,
            description: "Time the runtime paused for garbage collection.");
    }

    private static Measurement<long> Generation(int generation) =>
        new(GC.CollectionCount(generation), new KeyValuePair<string, object?>("generation", generation.ToString(CultureInfo.InvariantCulture)));

    private static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    private static long ResidentBytes()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    private static long OpenFds()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount();
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public void Dispose() => _meter.Dispose();
}
