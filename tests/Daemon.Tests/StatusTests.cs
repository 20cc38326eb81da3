using System.Text.Json;
using Sync.Daemon.Cli;
using Sync.Daemon.Modes;
using Sync.Daemon.Status;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

public sealed class StatusTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private (int Code, string Out, string Err) RunStatus(string socket, params string[] extra)
    {
        var config = _dir.File("empty.json");
        File.WriteAllText(config, "{}");
        Assert.True(CommandArguments.TryParse("status", ["--config", config, $"--status:socketPath={socket}", .. extra], false, out var args, out var error), error);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = StatusMode.Run(args, stdout, stderr, new Dictionary<string, string?>());
        return (code, stdout.ToString(), stderr.ToString());
    }

    private async Task<StatusSocketServer> Serve(string socket, FakeStatusProvider provider, Chrony.ChronySockRefclock? chrony = null, string chronyReading = "")
    {
        var server = new StatusSocketServer(socket, provider, chrony: chrony, chronyReading: chronyReading);
        await server.StartAsync(TestContext.Current.CancellationToken);
        return server;
    }

    [Fact]
    public void NotRunningSaysSoAndExits3()
    {
        var socket = _dir.File("status.sock");
        var (code, output, err) = RunStatus(socket);
        Assert.Equal(ExitCodes.StatusNotRunning, code);
        Assert.Equal("", output);
        Assert.Equal($"virtsyncd is not running (no status socket at {socket})", err.Trim());
    }

    [Fact]
    public void StaleSocketFileWithoutDaemonCountsAsNotRunning()
    {
        var socket = _dir.File("stale.sock");
        // Bound but never listening, like the file a crashed daemon leaves: connect is refused.
        using var bound = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        bound.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
        Assert.True(File.Exists(socket));
        var (code, _, err) = RunStatus(socket);
        Assert.Equal(ExitCodes.StatusNotRunning, code);
        Assert.Contains("virtsyncd is not running", err);
    }

    [Fact]
    public async Task RendersTrackingAndSourcesLikeChronyc()
    {
        var socket = _dir.File("status.sock");
        var provider = new FakeStatusProvider();
        provider.Publish(Snapshots.Tracking(Duration.FromNanoseconds(-1_234), steps: 3) with { NoMajority = true });
        var server = await Serve(socket, provider);
        try
        {
            var (code, output, err) = await Task.Run(() => RunStatus(socket), TestContext.Current.CancellationToken);
            Assert.True(code == 0, err);
            Assert.Contains("Reference       : /dev/ptp_virtio_tai (tai)", output);
            Assert.Contains("System time     : 0.000001234 seconds slow of reference", output);
            Assert.Contains("Last offset     : -0.000001234 seconds", output);
            Assert.Contains("RMS offset      : 0.000000450 seconds", output);
            Assert.Contains("Frequency       : -12.500 ppm", output);
            Assert.Contains("Residual freq   : +0.004 ppm", output);
            Assert.Contains("Skew            : 0.021 ppm", output);
            Assert.Contains("Error bound     : 0.000002400 seconds", output);
            Assert.Contains("Leap status     : Normal", output);
            Assert.Contains("TAI offset      : 37 seconds", output);
            Assert.Contains("Steps           : 3 (startup 1, jump 2)", output);
            Assert.Contains("Clock jumps     : 2", output);
            Assert.Contains("State           : tracking", output);
            Assert.Contains("Selection       : NO MAJORITY: the clocks disagree beyond their bounds", output);
            Assert.Matches(@"(?m)^#\* /dev/ptp_virtio_tai\s+tai\s+extended\s+377\s+42\s+3200ns\s+-150ns \+/- 1600ns\s*$", output);
            Assert.Matches(@"(?m)^#\? /dev/ptp3\s+utc-smeared/noon\s+precise\s+5\s+7\s+12us\s+\+2500ns\s*$", output);
            Assert.Contains("last failure: EBUSY on last read", output);
            Assert.Contains("window 3000ns, calibration measured correction -10ns allowance 900ns, corrected offset -140ns, selected, 3 stalled left out", output);
        }
        finally
        {
            await server.StopAsync(TestContext.Current.CancellationToken);
        }
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public async Task TheChronyAgentShowsWhetherChronydGetsTheSamples()
    {
        var socket = _dir.File("status.sock");
        var provider = new FakeStatusProvider();
        provider.Publish(Snapshots.Tracking());
        using var chrony = new Chrony.ChronySockRefclock(_dir.File("absent-chrony.sock"));
        chrony.Send(Sync.Filters.Time.Instant<Sync.Filters.Time.Utc>.FromSeconds(1), Sync.Filters.Time.Duration.Zero);
        chrony.Send(Sync.Filters.Time.Instant<Sync.Filters.Time.Utc>.FromSeconds(2), Sync.Filters.Time.Duration.Zero);
        var chronyMode = Sync.Daemon.Configuration.ConfigKeys.Chrony.ReadingSummary(new Sync.Daemon.Configuration.VirtsyncOptions() with
        {
            Sources = new Sync.Daemon.Configuration.SourcesOptions { SamplesPerReading = 25, Filter = Sync.Daemon.Configuration.SampleFilterKind.DelayCorrected },
        });
        var server = await Serve(socket, provider, chrony, chronyMode);
        try
        {
            var (code, output, err) = await Task.Run(() => RunStatus(socket), TestContext.Current.CancellationToken);
            Assert.True(code == 0, err);
            Assert.Contains("chrony agent    : feeding NO, 0 sent, 2 dropped (" + _dir.File("absent-chrony.sock") + ")", output);
            Assert.Contains("chrony error    : sending to chronyd at", output);
            Assert.Contains("chrony reading  : sources:samplesPerReading=25, sources:filter=delay-corrected", output);

            var (_, json, _) = await Task.Run(() => RunStatus(socket, "--json"), TestContext.Current.CancellationToken);
            using var doc = JsonDocument.Parse(json);
            var agent = doc.RootElement.GetProperty("status").GetProperty("chrony");
            Assert.False(agent.GetProperty("feeding").GetBoolean());
            Assert.Equal(0, agent.GetProperty("samplesSent").GetInt64());
            Assert.Equal(2, agent.GetProperty("samplesDropped").GetInt64());
            Assert.Equal("sources:samplesPerReading=25, sources:filter=delay-corrected", agent.GetProperty("reading").GetString());
            Assert.Contains("refclock SOCK", agent.GetProperty("lastError").GetString());
            var source = doc.RootElement.GetProperty("status").GetProperty("sources")[0];
            Assert.Equal(3, source.GetProperty("stalledSamples").GetInt64());
            Assert.False(doc.RootElement.GetProperty("status").GetProperty("noMajority").GetBoolean());
        }
        finally
        {
            await server.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task JsonOutputCarriesTheSnapshot()
    {
        var socket = _dir.File("status.sock");
        var provider = new FakeStatusProvider();
        provider.Publish(Snapshots.Tracking());
        var server = await Serve(socket, provider);
        try
        {
            var (code, output, _) = await Task.Run(() => RunStatus(socket, "--json"), TestContext.Current.CancellationToken);
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(output);
            var status = doc.RootElement.GetProperty("status");
            Assert.Equal(1, status.GetProperty("version").GetInt32());
            Assert.Equal("tracking", status.GetProperty("state").GetString());
            Assert.Equal(120e-9, status.GetProperty("lastOffsetSeconds").GetDouble(), 15);
            Assert.Equal(37, status.GetProperty("taiOffsetSeconds").GetInt32());
            var sources = status.GetProperty("sources");
            Assert.Equal(2, sources.GetArrayLength());
            Assert.Equal("extended", sources[0].GetProperty("method").GetString());
            Assert.Equal(255, sources[0].GetProperty("reach").GetInt32());
        }
        finally
        {
            await server.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task BeforeTheFirstTickTheDaemonSaysItIsStarting()
    {
        var socket = _dir.File("status.sock");
        var server = await Serve(socket, new FakeStatusProvider());
        try
        {
            var (code, output, _) = await Task.Run(() => RunStatus(socket), TestContext.Current.CancellationToken);
            Assert.Equal(0, code);
            Assert.Contains("virtsyncd is running: starting", output);
        }
        finally
        {
            await server.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task LaterSnapshotsAreServedToLaterClients()
    {
        var socket = _dir.File("status.sock");
        var provider = new FakeStatusProvider();
        provider.Publish(Snapshots.Tracking(steps: 1));
        var server = await Serve(socket, provider);
        try
        {
            var first = await Task.Run(() => StatusClient.Query(socket, TimeSpan.FromSeconds(5)), TestContext.Current.CancellationToken);
            provider.Publish(Snapshots.Acquiring());
            var second = await Task.Run(() => StatusClient.Query(socket, TimeSpan.FromSeconds(5)), TestContext.Current.CancellationToken);
            Assert.Equal("tracking", first.Reply!.Status!.State);
            Assert.Equal("acquiring", second.Reply!.Status!.State);
            Assert.Null(second.Reply.Status.LastOffsetSeconds);
            Assert.Equal("unsynchronized", second.Reply.Status.LeapStatus);
        }
        finally
        {
            await server.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task ASecondServerOnTheSameSocketRefusesToStart()
    {
        var socket = _dir.File("status.sock");
        var server = await Serve(socket, new FakeStatusProvider());
        try
        {
            var second = new StatusSocketServer(socket, new FakeStatusProvider());
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => second.StartAsync(TestContext.Current.CancellationToken));
            Assert.Contains("another virtsyncd answers on", error.Message);
            Assert.True(StatusClient.Query(socket, TimeSpan.FromSeconds(5)).Outcome == StatusClient.Outcome.Ok);
        }
        finally
        {
            await server.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void TheDevicesTaiMinusUtcIsShownNextToTheKernels()
    {
        var plain = StatusDocument.From(Snapshots.Tracking());
        Assert.Null(plain.ObservedTaiMinusUtcSeconds);
        Assert.Contains("TAI offset      : 37 seconds\n", StatusRenderer.Render(plain).ReplaceLineEndings("\n"));

        var agrees = StatusDocument.From(Snapshots.Tracking() with { ObservedTaiMinusUtc = 37 });
        Assert.Equal(37, agrees.ObservedTaiMinusUtcSeconds);
        Assert.Contains("TAI offset      : 37 seconds (the device shows 37 s)", StatusRenderer.Render(agrees));

        var unset = StatusDocument.From(Snapshots.Tracking() with { ObservedTaiMinusUtc = 0, ObservedTaiMinusUtcDisagreesWithTable = true });
        Assert.True(unset.ObservedTaiMinusUtcDisagreesWithTable);
        Assert.Contains("(the device shows 0 s: it DISAGREES with the leap table, whose value is used)", StatusRenderer.Render(unset));

        var expired = StatusDocument.From(Snapshots.Tracking() with { TaiOffsetSeconds = 38, ObservedTaiMinusUtc = 38, ObservedTaiMinusUtcDisagreesWithTable = true });
        Assert.Contains("TAI offset      : 38 seconds (from the device: the leap table has expired and says otherwise)", StatusRenderer.Render(expired));
    }

    [Theory]
    [InlineData(1.23e-7, true, "+123ns")]
    [InlineData(-4.5e-6, true, "-4500ns")]
    [InlineData(1.2e-5, false, "12us")]
    [InlineData(0.0123, true, "+12ms")]
    [InlineData(15.2, false, "15s")]
    public void ShortDurationsUseChronyUnits(double seconds, bool signed, string expected) =>
        Assert.Equal(expected, StatusRenderer.Short(seconds, signed));
}

public sealed class StatusSocketStopTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class Logger<T>(ListLogger inner) : Microsoft.Extensions.Logging.ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter) => inner.Log(logLevel, eventId, state, exception, formatter);
    }

    [Fact]
    public async Task ACleanStopWithAnAcceptPendingLogsNoWarning()
    {
        var log = new ListLogger();
        var socket = _dir.File("status.sock");
        for (var round = 0; round < 5; round++)
        {
            var server = new StatusSocketServer(socket, new FakeStatusProvider(), new Logger<StatusSocketServer>(log));
            await server.StartAsync(TestContext.Current.CancellationToken);
            await Task.Delay(50, TestContext.Current.CancellationToken); // the accept is waiting
            await server.StopAsync(TestContext.Current.CancellationToken);
            server.Dispose();
        }
        Assert.DoesNotContain(log.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.False(File.Exists(socket));
    }
}
