using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Systemd;
using Sync.Daemon.Telemetry;

namespace Sync.Daemon.Tests;

[Collection(nameof(MetricsTests))]
public sealed class MetricsTests
{
    private static readonly string[] SyncNames =
    [
        MetricNames.OffsetSeconds, MetricNames.RmsOffsetSeconds, MetricNames.FrequencyPpms, MetricNames.ResidualFrequencyPpms,
        MetricNames.SkewPpms, MetricNames.ErrorBoundSeconds, MetricNames.LeapStatus, MetricNames.TaiOffsetSeconds,
        MetricNames.ObservedTaiMinusUtcSeconds, MetricNames.ObservedTaiMinusUtcDisagrees,
        MetricNames.SyncState, MetricNames.UpdateIntervalSeconds, MetricNames.NoMajority, MetricNames.StepsTotal, MetricNames.BuildInfo,
        MetricNames.VmClockDisruptionsTotal,
        MetricNames.SourceReachability, MetricNames.SourceDelaySeconds, MetricNames.SourceOffsetSeconds, MetricNames.SourceSelected,
        MetricNames.SourceReadingMethod, MetricNames.SourceSamplesTotal, MetricNames.SourceWindowSeconds, MetricNames.SourceCorrectedOffsetSeconds,
        MetricNames.SourceCalibrationSeconds, MetricNames.SourceAllowanceSeconds, MetricNames.SourceFalseticker,
    ];

    private static async Task<string> ScrapeRunningHost(Action<IServiceProvider> act, Action<IServiceCollection>? register = null,
        Action<IServiceProvider>? beforeStart = null)
    {
        int port = FreePort.Get();
        var options = new VirtsyncOptions
        {
            Metrics = new MetricsOptions { Host = "127.0.0.1", Port = port },
            Status = new StatusOptions { Enabled = false },
            Logging = new LoggingOptions { Level = Microsoft.Extensions.Logging.LogLevel.Warning },
        };
        var builder = DaemonHost.CreateBuilder(options, DaemonRole.Simulate, new DaemonHostEnvironment { Systemd = SystemdEnvironment.None });
        var provider = new FakeStatusProvider();
        builder.Services.AddSingleton<ISyncStatusProvider>(provider);
        register?.Invoke(builder.Services);
        using var host = builder.Build();
        beforeStart?.Invoke(host.Services);
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            provider.Publish(Snapshots.Tracking(steps: 2) with
            {
                NoMajority = true, VmClockMarker = 8, VmClockDisruptions = 1, ObservedTaiMinusUtc = 0, ObservedTaiMinusUtcDisagreesWithTable = true,
            });
            act(host.Services);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            return await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", TestContext.Current.CancellationToken);
        }
        finally
        {
            await host.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    private static double Value(string scrape, string series)
    {
        var pattern = "(?m)^" + Regex.Escape(series) + (series.Contains('{') ? "" : @"(\{\})?") + @" (\S+)";
        var m = Regex.Match(scrape, pattern);
        Assert.True(m.Success, $"series {series} missing in:\n{scrape}");
        return double.Parse(m.Groups[^1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task TheChronyAgentsSamplesAndStateAreExported()
    {
        var dir = Directory.CreateTempSubdirectory("virtsync-chrony-metrics-").FullName;
        try
        {
            using var chronyd = new DatagramSink(Path.Combine(dir, "virtsync.sock"));
            using var refclock = new Chrony.ChronySockRefclock(chronyd.Address);
            for (var i = 0; i < 3; i++)
                refclock.Send(Filters.Time.Instant<Filters.Time.Utc>.FromSeconds(1 + i), Filters.Time.Duration.Zero);
            var feeding = await ScrapeRunningHost(_ => { }, services => services.AddSingleton(refclock));
            Assert.Equal(3, Value(feeding, MetricNames.ChronySamplesSentTotal));
            Assert.Equal(0, Value(feeding, MetricNames.ChronySamplesDroppedTotal));
            Assert.Equal(1, Value(feeding, MetricNames.ChronyFeeding));

            using var absent = new Chrony.ChronySockRefclock(Path.Combine(dir, "absent.sock"));
            absent.Send(Filters.Time.Instant<Filters.Time.Utc>.FromSeconds(1), Filters.Time.Duration.Zero);
            absent.Send(Filters.Time.Instant<Filters.Time.Utc>.FromSeconds(2), Filters.Time.Duration.Zero);
            var dropping = await ScrapeRunningHost(_ => { }, services => services.AddSingleton(absent));
            Assert.Equal(2, Value(dropping, MetricNames.ChronySamplesDroppedTotal));
            Assert.Equal(0, Value(dropping, MetricNames.ChronyFeeding));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ServeRefusalsAreExportedAsZeroBeforeTheFirstOneAndCountedAfter()
    {
        // serve builds its metrics with its hosted service, before the exporter listens: the series must still be there.
        ServeMetrics? serve = null;
        var none = await ScrapeRunningHost(_ => { }, beforeStart: sp => serve = sp.GetRequiredService<ServeMetrics>());
        Assert.Equal(0, Value(none, MetricNames.ServeConnectionsRefusedTotal));

        var two = await ScrapeRunningHost(sp =>
        {
            var metrics = sp.GetRequiredService<ServeMetrics>();
            metrics.ConnectionRefused();
            metrics.ConnectionRefused();
        }, beforeStart: sp => sp.GetRequiredService<ServeMetrics>());
        Assert.Equal(2, Value(two, MetricNames.ServeConnectionsRefusedTotal));
        Assert.Matches($"(?m)^# TYPE {MetricNames.ServeConnectionsRefusedTotal} counter", two);
        Assert.NotNull(serve);
    }

    [Fact]
    public async Task EveryDocumentedNameIsExportedExactly()
    {
        var scrape = await ScrapeRunningHost(sp =>
        {
            var serve = sp.GetRequiredService<ServeMetrics>();
            serve.RecordRequest("read", "ok", 4e-6);
            serve.RecordRequest("read", "ok", 3e-3);
            serve.RecordRequest("clock_cap", "einval", 1e-6);
            serve.ConnectionOpened();
            serve.ConnectionOpened();
            serve.ConnectionClosed();
            serve.AlarmFired("utc-smeared-noon");
        });

        var names = Regex.Matches(scrape, @"(?m)^# TYPE (\S+) (\S+)").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        foreach (var name in SyncNames) Assert.True(names.ContainsKey(name), $"{name} not exported; got {string.Join(", ", names.Keys)}");
        Assert.Equal("counter", names[MetricNames.StepsTotal]);
        Assert.Equal("counter", names[MetricNames.ServeRequestsTotal]);
        Assert.Equal("histogram", names[MetricNames.ServeRequestDurationSeconds]);
        Assert.Equal("gauge", names[MetricNames.OffsetSeconds]);
        Assert.DoesNotContain(names.Keys, n => n.EndsWith("_seconds_seconds", StringComparison.Ordinal) || n.EndsWith("_total_total", StringComparison.Ordinal));

        Assert.Equal(120e-9, Value(scrape, MetricNames.OffsetSeconds), 12);
        Assert.Equal(-12.5, Value(scrape, MetricNames.FrequencyPpms));
        Assert.Equal(37, Value(scrape, MetricNames.TaiOffsetSeconds));
        Assert.Equal(0, Value(scrape, MetricNames.ObservedTaiMinusUtcSeconds));
        Assert.Equal(1, Value(scrape, MetricNames.ObservedTaiMinusUtcDisagrees));
        Assert.Equal(1, Value(scrape, MetricNames.SyncState));
        Assert.Equal(0.25, Value(scrape, MetricNames.UpdateIntervalSeconds));
        Assert.Equal(1, Value(scrape, MetricNames.NoMajority));
        Assert.Equal(1, Value(scrape, MetricNames.VmClockDisruptionsTotal));
        const string tai = "{path=\"/dev/ptp_virtio_tai\",type=\"tai\",variant=\"none\"}";
        Assert.Equal(3e-6, Value(scrape, MetricNames.SourceWindowSeconds + tai), 12);
        Assert.Equal(-140e-9, Value(scrape, MetricNames.SourceCorrectedOffsetSeconds + tai), 12);
        Assert.Equal(-10e-9, Value(scrape, MetricNames.SourceCalibrationSeconds + tai), 12);
        Assert.Equal(900e-9, Value(scrape, MetricNames.SourceAllowanceSeconds + tai), 12);
        Assert.Equal(0, Value(scrape, MetricNames.SourceFalseticker + tai));
        Assert.Contains("service_name=\"virtsyncd\"", scrape);
        Assert.Equal(1, Value(scrape, $"{MetricNames.StepsTotal}{{reason=\"startup\"}}"));
        Assert.Equal(1, Value(scrape, $"{MetricNames.StepsTotal}{{reason=\"jump\"}}"));
        Assert.Equal(0, Value(scrape, $"{MetricNames.StepsTotal}{{reason=\"discontinuity\"}}"));
        Assert.Equal(255, Value(scrape, $"{MetricNames.SourceReachability}{{path=\"/dev/ptp_virtio_tai\",type=\"tai\",variant=\"none\"}}"));
        Assert.Equal(42, Value(scrape, $"{MetricNames.SourceSamplesTotal}{{path=\"/dev/ptp_virtio_tai\",type=\"tai\",variant=\"none\"}}"));
        Assert.Equal(1, Value(scrape, $"{MetricNames.SourceReadingMethod}{{method=\"precise\",path=\"/dev/ptp3\",type=\"utc-smeared\",variant=\"noon\"}}"));
        Assert.Equal(3.2e-6, Value(scrape, $"{MetricNames.SourceDelaySeconds}{{path=\"/dev/ptp_virtio_tai\",type=\"tai\",variant=\"none\"}}"), 12);

        Assert.Equal(2, Value(scrape, $"{MetricNames.ServeRequestsTotal}{{status=\"ok\",type=\"read\"}}"));
        Assert.Equal(1, Value(scrape, $"{MetricNames.ServeRequestsTotal}{{status=\"einval\",type=\"clock_cap\"}}"));
        Assert.Equal(1, Value(scrape, $"{MetricNames.ServeRequestDurationSeconds}_bucket{{status=\"ok\",type=\"read\",le=\"5E-06\"}}"));
        Assert.Equal(2, Value(scrape, $"{MetricNames.ServeRequestDurationSeconds}_bucket{{status=\"ok\",type=\"read\",le=\"0.005\"}}"));
        Assert.Equal(1, Value(scrape, MetricNames.ServeConnections));
        Assert.Equal(1, Value(scrape, $"{MetricNames.ServeAlarmsFiredTotal}{{clock=\"utc-smeared-noon\"}}"));
    }

    [Fact]
    public void LeapStatusCodesFollowChrony()
    {
        Assert.Equal(0, SyncMetrics.LeapStatusCode(global::Sync.Filters.Discipline.ClockStatus.KernelDiscipline));
        Assert.Equal(1, SyncMetrics.LeapStatusCode(global::Sync.Filters.Discipline.ClockStatus.InsertLeap));
        Assert.Equal(2, SyncMetrics.LeapStatusCode(global::Sync.Filters.Discipline.ClockStatus.DeleteLeap));
        Assert.Equal(3, SyncMetrics.LeapStatusCode(global::Sync.Filters.Discipline.ClockStatus.Unsynchronized | global::Sync.Filters.Discipline.ClockStatus.InsertLeap));
    }
}
