using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Systemd;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>Shares a collection with MetricsTests: both start hosts whose "virtsync" meters every MeterProvider in the process sees.</summary>
[Collection(nameof(MetricsTests))]
public sealed class SystemdTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly SystemdOptions Options = new() { ReadyTimeoutSeconds = 30, StatusIntervalSeconds = 1 };

    [Fact]
    public void NotifierSendsDatagramsToAFileSocket()
    {
        using var sink = new DatagramSink(_dir.File("notify.sock"));
        using var notifier = new SystemdNotifier(sink.Address);
        Assert.True(notifier.IsEnabled);
        Assert.True(notifier.Ready("tracking"));
        Assert.Equal("READY=1\nSTATUS=tracking", sink.ReceiveText());
        Assert.True(notifier.Ready("again"));
        Assert.Equal("STATUS=again", sink.ReceiveText());
        notifier.Watchdog();
        Assert.Equal("WATCHDOG=1", sink.ReceiveText());
        notifier.Status("two\nlines");
        Assert.Equal("STATUS=two lines", sink.ReceiveText());
        Assert.True(notifier.Stopping());
        Assert.Equal("STOPPING=1", sink.ReceiveText());
        Assert.False(notifier.Stopping());
        Assert.Empty(sink.Drain());
    }

    [Fact]
    public void NotifierSupportsTheAbstractNamespace()
    {
        var name = "@virtsync-test-" + Guid.NewGuid().ToString("N")[..12];
        using var sink = new DatagramSink(name);
        using var notifier = new SystemdNotifier(name);
        Assert.True(notifier.Watchdog());
        Assert.Equal("WATCHDOG=1", sink.ReceiveText());
    }

    [Fact]
    public void NotifierWithoutSocketDoesNothingAndAMissingSocketIsNotFatal()
    {
        using var none = new SystemdNotifier(null);
        Assert.False(none.IsEnabled);
        Assert.False(none.Ready());
        using var gone = new SystemdNotifier(_dir.File("absent.sock"));
        Assert.False(gone.Watchdog());
        Assert.Equal(1, gone.SendFailures);
    }

    [Theory]
    [InlineData("/run/systemd/notify", "4000000", null, 4.0)]
    [InlineData("/run/systemd/notify", "4000000", "1234", 4.0)]
    [InlineData("/run/systemd/notify", "4000000", "999", null)]
    [InlineData("/run/systemd/notify", "0", null, null)]
    [InlineData(null, "junk", null, null)]
    public void EnvironmentFollowsSdWatchdogEnabled(string? socket, string? usec, string? pid, double? expectedSeconds)
    {
        var env = SystemdEnvironment.From(socket, usec, pid, processId: 1234);
        Assert.Equal(socket, env.NotifySocket);
        Assert.Equal(expectedSeconds, env.WatchdogInterval?.TotalSeconds);
    }

    /// <summary>A source's first raw sample is not readiness: the estimate (and the startup step it commands) is.</summary>
    [Fact]
    public async Task ASourceSampleWithoutAnEstimateIsNotReady()
    {
        using var sink = new DatagramSink(_dir.File("notify.sock"));
        using var notifier = new SystemdNotifier(sink.Address);
        var provider = new FakeStatusProvider();
        using var reporter = new ReadinessReporter(provider, notifier, new FakeTimeProvider(), Options);
        await reporter.StartAsync(TestContext.Current.CancellationToken);

        var sampled = new SourceSnapshot("/dev/ptp0", "Virtio PTP type 0/variant 0", ClockScale.Utc, true, 1, null,
            Duration.FromMicroseconds(20), Duration.FromSeconds(-2.7), Duration.FromMicroseconds(10), 1, null);
        provider.Publish(Snapshots.Acquiring() with { Sources = [sampled] });
        Assert.Empty(sink.Drain());
        Assert.Null(reporter.ReadyReason);

        provider.Publish(Snapshots.Tracking(Duration.FromNanoseconds(120)));
        Assert.StartsWith("READY=1", sink.ReceiveText());
        await reporter.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ReadyWaitsForTheFirstGoodSampleThenStatusIsThrottled()
    {
        using var sink = new DatagramSink(_dir.File("notify.sock"));
        using var notifier = new SystemdNotifier(sink.Address);
        var time = new FakeTimeProvider();
        var provider = new FakeStatusProvider();
        using var reporter = new ReadinessReporter(provider, notifier, time, Options);
        await reporter.StartAsync(TestContext.Current.CancellationToken);

        provider.Publish(Snapshots.Acquiring());
        Assert.Empty(sink.Drain());
        Assert.Null(reporter.ReadyReason);

        provider.Publish(Snapshots.Tracking(Duration.FromNanoseconds(120)));
        Assert.Equal("READY=1\nSTATUS=tracking /dev/ptp_virtio_tai: offset +120ns, bound 2400ns", sink.ReceiveText());
        Assert.Equal("sample", reporter.ReadyReason);

        time.Advance(TimeSpan.FromMilliseconds(250));
        provider.Publish(Snapshots.Tracking(Duration.FromNanoseconds(-80)));
        Assert.Empty(sink.Drain());

        time.Advance(TimeSpan.FromMilliseconds(800));
        provider.Publish(Snapshots.Tracking(Duration.FromNanoseconds(-80)));
        Assert.Equal("STATUS=tracking /dev/ptp_virtio_tai: offset -80ns, bound 2400ns", sink.ReceiveText());

        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Empty(sink.Drain()); // the timeout timer was cancelled

        await reporter.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal("STOPPING=1", sink.ReceiveText());
    }

    [Fact]
    public async Task ReadyAfterTheTimeoutWhenNoSampleArrives()
    {
        using var sink = new DatagramSink(_dir.File("notify.sock"));
        using var notifier = new SystemdNotifier(sink.Address);
        var time = new FakeTimeProvider();
        var provider = new FakeStatusProvider();
        using var reporter = new ReadinessReporter(provider, notifier, time, Options);
        await reporter.StartAsync(TestContext.Current.CancellationToken);

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(sink.Drain());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("READY=1\nSTATUS=no good sample after 30 s: still trying", sink.ReceiveText());
        Assert.Equal("timeout", reporter.ReadyReason);

        provider.Publish(Snapshots.Tracking());
        Assert.StartsWith("STATUS=tracking", sink.ReceiveText());
    }

    [Fact]
    public void WatchdogPingsOnlyWhileTheLoopPublishes()
    {
        using var sink = new DatagramSink(_dir.File("notify.sock"));
        using var notifier = new SystemdNotifier(sink.Address);
        var time = new FakeTimeProvider();
        var provider = new FakeStatusProvider();
        var env = new SystemdEnvironment(sink.Address, TimeSpan.FromSeconds(10));
        using var watchdog = new WatchdogService(notifier, env, time, provider, startupGrace: TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(5), watchdog.PingPeriod);

        Assert.True(watchdog.Tick()); // startup grace
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.False(watchdog.Tick()); // no tick from the loop ever: stuck at start

        provider.Publish(Snapshots.Tracking());
        Assert.True(watchdog.Tick());
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.True(watchdog.Tick());
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(watchdog.Tick()); // last update 11 s ago > 10 s

        provider.Publish(Snapshots.Tracking());
        Assert.True(watchdog.Tick());
        Assert.Equal(["WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"], sink.Drain());
    }

    [Fact]
    public async Task WatchdogServicePingsEveryHalfInterval()
    {
        using var sink = new DatagramSink(_dir.File("notify.sock"));
        using var notifier = new SystemdNotifier(sink.Address);
        var time = new FakeTimeProvider();
        var env = new SystemdEnvironment(sink.Address, TimeSpan.FromSeconds(4));
        using var watchdog = new WatchdogService(notifier, env, time);
        await watchdog.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal("WATCHDOG=1", sink.ReceiveText()); // at start
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("WATCHDOG=1", sink.ReceiveText());
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("WATCHDOG=1", sink.ReceiveText());
        await watchdog.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task HostSendsReadyOnlyAfterTheFirstSampleAndStoppingAtTheEnd()
    {
        using var sink = new DatagramSink(_dir.File("notify.sock"));
        var time = new FakeTimeProvider();
        var options = new VirtsyncOptions
        {
            Metrics = new MetricsOptions { Enabled = false },
            Status = new StatusOptions { SocketPath = _dir.File("status.sock") },
            Logging = new LoggingOptions { Level = Microsoft.Extensions.Logging.LogLevel.None },
        };
        var builder = DaemonHost.CreateBuilder(options, DaemonRole.Sync, new DaemonHostEnvironment
        {
            Systemd = new SystemdEnvironment(sink.Address, null),
            Time = time,
        });
        var provider = new FakeStatusProvider();
        builder.Services.AddSingleton<ISyncStatusProvider>(provider);
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        Assert.IsType<DaemonLifetime>(host.Services.GetRequiredService<IHostLifetime>());
        Assert.True(File.Exists(_dir.File("status.sock")));
        Assert.Empty(sink.Drain());

        provider.Publish(Snapshots.Tracking());
        Assert.StartsWith("READY=1\nSTATUS=tracking", sink.ReceiveText());

        await host.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["STOPPING=1"], sink.Drain().Where(m => m.StartsWith("STOPPING")).ToList()); // once, though lifetime and reporter both say it
    }
}
