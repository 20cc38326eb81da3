using Microsoft.Extensions.Logging;
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
using Sync.TestSupport;

namespace Sync.Daemon.Tests;

/// <summary>`serve` as a host service: its settings reach the vhost-user server, and what a connection owns dies with it.</summary>
[Collection(nameof(MetricsTests))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServeServiceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

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
    public void TimeoutsAndSocketOwnershipAreReadAndValidated()
    {
        var defaults = Load().Options!.Serve;
        Assert.Equal(10, defaults.HandshakeTimeoutSeconds);
        Assert.Equal(0, defaults.IdleTimeoutSeconds);
        Assert.Equal(-1, defaults.SocketGroupId);
        Assert.Equal(ServeOptions.DefaultSocketMode, defaults.SocketMode);

        var set = Load(("serve:handshakeTimeoutSeconds", "2.5"), ("serve:idleTimeoutSeconds", "600"), ("serve:socketGroup", "root"),
            ("serve:socketMode", "0666")).Options!.Serve;
        Assert.Equal(2.5, set.HandshakeTimeoutSeconds);
        Assert.Equal(600, set.IdleTimeoutSeconds);
        Assert.Equal(0, set.SocketGroupId);
        Assert.Equal((UnixFileMode)0x1B6, set.SocketMode);
        Assert.Equal(4242, Load(("serve:socketGroup", "4242")).Options!.Serve.SocketGroupId);

        Assert.Contains("serve:socketGroup = no-such-group-xyz is not a group on this host",
            Assert.Single(Load(("serve:socketGroup", "no-such-group-xyz")).Errors).ToString());
        Assert.Contains("serve:socketMode = 0460 is not an octal socket mode the owner can use",
            Assert.Single(Load(("serve:socketMode", "0460")).Errors).ToString());
        Assert.Contains("serve:socketMode = rw-rw---- is not an octal socket mode",
            Assert.Single(Load(("serve:socketMode", "rw-rw----")).Errors).ToString());
        Assert.Contains("serve:handshakeTimeoutSeconds = -1 is out of range",
            Assert.Single(Load(("serve:handshakeTimeoutSeconds", "-1")).Errors).ToString());
    }

    [Fact]
    public async Task ServeAppliesSocketGroupModeAndHandshakeTimeout()
    {
        var socket = _dir.File("vhost.sock");
        var options = Load(("serve:socketPath", socket), ("serve:clocks", "monotonic"), ("serve:stateDirectory", _dir.File("state")),
            ("serve:socketGroup", "4242"), ("serve:socketMode", "0666"), ("serve:handshakeTimeoutSeconds", "0.3")).Options!;
        using var metrics = new ServeMetrics();
        await using var service = new ServeService(options, metrics, TimeProvider.System, new DaemonExit(new RecordingLifetime()), NullLoggerFactory.Instance);
        await service.StartAsync(CancellationToken.None);
        Assert.Equal((UnixFileMode)0x1B6, File.GetUnixFileMode(socket));
        Assert.Equal(4242, GroupOf(socket));
        using var silent = Connect(socket);
        silent.ReceiveTimeout = 5000;
        var started = DateTime.UtcNow;
        Assert.Equal(0, silent.Receive(new byte[1])); // never sent SET_OWNER: dropped
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(4));
        await service.StopAsync(CancellationToken.None);
    }

    /// <summary>`serve` reads the leap-second table named by sources:leapSecondsFile (it used to read only the default path).</summary>
    [Fact]
    public async Task ServeReadsTheConfiguredLeapSecondsFile()
    {
        var leapFile = _dir.File("absent-leap-seconds.list");
        var options = Load(("serve:socketPath", _dir.File("leap.sock")), ("serve:clocks", "utc,tai"), ("serve:stateDirectory", _dir.File("state")),
            ("sources:leapSecondsFile", leapFile)).Options!;
        using var metrics = new ServeMetrics();
        var log = new ListLogger();
        await using var service = new ServeService(options, metrics, TimeProvider.System, new DaemonExit(new RecordingLifetime()), new OneLoggerFactory(log));
        await service.StartAsync(CancellationToken.None);
        await service.StopAsync(CancellationToken.None);
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains($"leap-seconds.list not found at {leapFile}", StringComparison.Ordinal));
    }

    [Fact]
    public void RealtimePriorityDefaultsToOffAndIsValidated()
    {
        Assert.Equal(0, Load().Options!.Serve.RealtimePriority);
        Assert.Equal(10, Load(("serve:realtimePriority", "10")).Options!.Serve.RealtimePriority);
        Assert.Contains("serve:realtimePriority = 100 is out of range: use 0..99",
            Assert.Single(Load(("serve:realtimePriority", "100")).Errors).ToString());
    }

    /// <summary>serve:realtimePriority reaches the vhost-user loop thread: SCHED_FIFO at that priority, or a warning naming the key and the fix.</summary>
    [Fact]
    public async Task ServeRunsItsLoopThreadAtTheConfiguredRealtimePriority()
    {
        const int priority = 7; // no other test uses it: the thread found is this service's
        var options = Load(("serve:socketPath", _dir.File("rt.sock")), ("serve:clocks", "monotonic"), ("serve:stateDirectory", _dir.File("state")),
            ("serve:realtimePriority", priority.ToString(System.Globalization.CultureInfo.InvariantCulture))).Options!;
        using var metrics = new ServeMetrics();
        var log = new ListLogger();
        await using var service = new ServeService(options, metrics, TimeProvider.System, new DaemonExit(new RecordingLifetime()), new OneLoggerFactory(log));
        await service.StartAsync(CancellationToken.None);
        bool permitted = false;
        var probe = new Thread(() => permitted = Sync.Clock.Linux.SchedulingSlice.TryRequestRealtimeForCurrentThread(priority, out _));
        probe.Start();
        probe.Join();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        bool found = false, warned = false;
        while (DateTime.UtcNow < deadline && !found && !warned)
        {
            found = LoopThreadsAtFifo(priority).Any();
            warned = log.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains($"serve:realtimePriority = {priority}", StringComparison.Ordinal)
                && e.Message.Contains($"LimitRTPRIO={priority}", StringComparison.Ordinal));
            Thread.Sleep(20);
        }
        await service.StopAsync(CancellationToken.None);
        Assert.True(permitted ? found && !warned : warned && !found, $"permitted {permitted}, loop thread at FIFO {priority}: {found}, warned: {warned}");
    }

    /// <summary>Threads of this process named vhost-user-loop that run under SCHED_FIFO at <paramref name="priority"/>.</summary>
    private static IEnumerable<int> LoopThreadsAtFifo(int priority)
    {
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string comm;
            try
            {
                comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
            }
            catch (IOException)
            {
                continue; // the thread ended
            }
            int tid = int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture);
            if (comm == "vhost-user-loop" && Sync.Clock.Linux.SchedulingSlice.Current(tid) == (1, priority))
            {
                yield return tid;
            }
        }
    }

    internal static int GroupOf(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%g", path]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return int.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
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
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Exchange(ref refused, value)); // observed total
        listener.Start();
        using var metrics = new ServeMetrics();
        var lifetime = new RecordingLifetime();
        await using var service = new ServeService(options, metrics, TimeProvider.System, new DaemonExit(lifetime), NullLoggerFactory.Instance);
        await service.StartAsync(CancellationToken.None);
        Assert.False(lifetime.Stopped);

        using var first = Connect(socket);
        using var second = Connect(socket);
        second.ReceiveTimeout = 5000;
        Assert.Equal(0, second.Receive(new byte[1])); // closed by the server at once
        listener.RecordObservableInstruments();
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

    [Fact]
    public void TheMeteredDeviceLabelsRequestsWithTheSpecsNamesInLowerCase()
    {
        var device = new VirtioRtcDevice(new VirtioRtcDeviceOptions { Clocks = [new DeviceClock(new FixedClock())] });
        var seen = new List<(string Type, string Status)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == MetricNames.ServeRequestsTotal) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string type = "", status = "";
            foreach (var tag in tags)
            {
                if (tag.Key == "type") type = (string)tag.Value!;
                if (tag.Key == "status") status = (string)tag.Value!;
            }
            lock (seen) seen.Add((type, status));
        });
        listener.Start();
        using var metrics = new ServeMetrics();
        var driver = new VirtioRtcDriver(new DirectRequestChannel(new MeteredVirtioDevice(device, metrics)));

        Assert.True(driver.Read(0).IsOk);
        Assert.False(driver.ReadCross(0, VirtioRtcHwCounter.X86Tsc).IsOk); // no cross-timestamp configured
        Assert.False(driver.ClockCapabilities(7).IsOk);                    // no clock 7

        Assert.Equal([("read", "ok"), ("read_cross", "eopnotsupp"), ("clock_cap", "enodev")], seen);
    }

    private sealed class FixedClock : Sync.Clock.Abstractions.IHostClockSource
    {
        public ClockScale Scale => ClockScale.Utc;
        public long ReadNanoseconds() => 1_000_000_000;
    }
}
