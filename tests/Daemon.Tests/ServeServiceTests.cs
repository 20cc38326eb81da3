using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Sync.Clock.Virtio.Rtc;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Serving;
using Sync.Daemon.Telemetry;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>`serve` as a host service: its settings reach the vhost-user server, and what a connection owns dies with it.</summary>
[Collection(nameof(MetricsTests))]
public sealed class ServeServiceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public bool Stopped { get; private set; }
        public void StopApplication() => Stopped = true;
    }

    private ConfigurationLoadResult Load(params (string Key, string Value)[] overrides)
    {
        var path = _dir.File("virtsync.json");
        File.WriteAllText(path, "{}");
        return ConfigurationLoader.Load(new ConfigurationInputs
        {
            ConfigPath = path,
            Environment = new Dictionary<string, string?>(),
            Overrides = overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)).ToList(),
        });
    }

    [Fact]
    public void MaxConnectionsDefaultsTo1024AndIsValidated()
    {
        Assert.Equal(1024, Load().Options!.Serve.MaxConnections);
        Assert.Equal(5000, Load(("serve:maxConnections", "5000")).Options!.Serve.MaxConnections);
        var bad = Load(("serve:maxConnections", "0"));
        Assert.Contains("serve:maxConnections = 0 is out of range: use 1..7000", Assert.Single(bad.Errors).ToString());
    }

    [Fact]
    public async Task AFrontEndOverServeMaxConnectionsIsClosedAndCounted()
    {
        var socket = _dir.File("vhost.sock");
        var options = Load(("serve:maxConnections", "1"), ("serve:socketPath", socket), ("serve:clocks", "monotonic"),
            ("serve:stateDirectory", _dir.File("state"))).Options!;
        long refused = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == MetricNames.ServeConnectionsRefusedTotal) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref refused, value));
        listener.Start();
        using var metrics = new ServeMetrics();
        var lifetime = new Lifetime();
        await using var service = new ServeService(options, metrics, TimeProvider.System, new DaemonExit(lifetime), NullLoggerFactory.Instance);
        await service.StartAsync(CancellationToken.None);
        Assert.False(lifetime.Stopped);

        using var first = Connect(socket);
        using var second = Connect(socket);
        second.ReceiveTimeout = 5000;
        Assert.Equal(0, second.Receive(new byte[1])); // closed by the server at once
        Assert.Equal(1, Interlocked.Read(ref refused));
        first.Blocking = false;
        Assert.Throws<SocketException>(() => first.Receive(new byte[1])); // still open (EAGAIN)
        await service.StopAsync(CancellationToken.None);
    }

    private static Socket Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    [Fact]
    public void DisposingTheMeteredDeviceStopsTheInnerDevicesAlarmTimer()
    {
        var device = new VirtioRtcDevice(new VirtioRtcDeviceOptions
        {
            Clocks = [new DeviceClock(new FixedClock(), AlarmCapable: true)],
        });
        using var metrics = new ServeMetrics();
        var metered = new MeteredVirtioDevice(device, metrics);
        var driver = new VirtioRtcDriver(new DirectRequestChannel(metered));
        Assert.Null(driver.SetAlarm(0, ulong.MaxValue, enabled: true));
        Assert.True(device.AlarmTimerRunning);
        metered.Dispose();
        Assert.False(device.AlarmTimerRunning);
    }

    private sealed class FixedClock : Sync.Clock.Abstractions.IHostClockSource
    {
        public ClockScale Scale => ClockScale.Utc;
        public long ReadNanoseconds() => 1_000_000_000;
    }
}
