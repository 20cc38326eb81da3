using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Sync.Clock.Abstractions;
using Sync.Daemon.Resilience;
using Sync.Daemon.Pipeline;
using Sync.Daemon.Status;
using Sync.Daemon.Telemetry;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>True time and a guest clock whose oscillator runs exactly at rate; the frequency correction and the
/// steps commanded by the loop move it, as the kernel would.</summary>
internal sealed class ToyGuest : ISystemClock
{
    private double _localMinusTrueNs = 40_000;
    private double _frequencyPpm;

    public long TrueNs { get; private set; } = Instant<Utc>.FromSeconds(1_800_000_000).Nanoseconds;
    public long LocalNs => TrueNs + (long)Math.Round(_localMinusTrueNs);

    public void Advance(TimeSpan by)
    {
        var ns = (long)by.TotalMicroseconds * 1_000;
        TrueNs += ns;
        _localMinusTrueNs += ns * _frequencyPpm * 1e-6;
    }

    public Instant<Utc> Now() => new(LocalNs);

    public ClockResult<KernelClockState> ReadState() =>
        ClockResult<KernelClockState>.Ok(new KernelClockState(0, Duration.Zero, Duration.Zero, ClockStatus.None, 37));

    public ClockResult<KernelClockState> Apply(ClockCommand command)
    {
        if (command.Step is { } step) _localMinusTrueNs += step.Nanoseconds;
        if (command.FrequencyPpm is { } ppm) _frequencyPpm = ppm;
        return ReadState();
    }
}

/// <summary>A UTC PHC that reads the toy guest's true time, with a small deterministic spread of delays.</summary>
internal sealed class ToyPhc(ToyGuest guest, string path) : IReferenceClock
{
    public ReferenceClockInfo Info { get; } = new(path, "Virtio PTP type 0/variant 0", ClockScale.Utc);
    public ReadingMethod? Method => ReadingMethod.Extended;

    public ClockResult<PhcReading> Read(int samplesPerReading)
    {
        var samples = new SampleTriple[samplesPerReading];
        for (var i = 0; i < samplesPerReading; i++)
        {
            var halfDelayNs = 1_000 + 37 * i % 200;
            samples[i] = new SampleTriple(guest.LocalNs - halfDelayNs, guest.TrueNs, guest.LocalNs + halfDelayNs);
        }
        return ClockResult<PhcReading>.Ok(new PhcReading(ReadingMethod.Extended, ClockScale.Utc, samples));
    }

    public void Dispose() { }
}

/// <summary>Passes reads through while open; while closed a read blocks, like a virtio-rtc read whose back end died.</summary>
internal sealed class BlockingClock(IReferenceClock inner) : IReferenceClock
{
    private readonly ManualResetEventSlim _open = new(true);
    private readonly SemaphoreSlim _entered = new(0);
    private int _calls;

    public ReferenceClockInfo Info => inner.Info;
    public ReadingMethod? Method => inner.Method;
    public int Calls => Volatile.Read(ref _calls);

    public void Close() => _open.Reset();
    public void Open() => _open.Set();
    public void ResetEntered() { while (_entered.Wait(0)) { } }

    /// <summary>Waits (generously) until a read has entered this clock.</summary>
    public bool WaitForRead() => _entered.Wait(TimeSpan.FromSeconds(30));

    public ClockResult<PhcReading> Read(int samplesPerReading)
    {
        Interlocked.Increment(ref _calls);
        _entered.Release();
        _open.Wait();
        return inner.Read(samplesPerReading);
    }

    public void Dispose() => inner.Dispose();
}

internal sealed class ListLogger : ILogger
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Add((logLevel, formatter(state, exception)));
}

public sealed class ReadTimeoutTests
{
    private static readonly TimeSpan ReadInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    private sealed class Rig : IDisposable
    {
        public FakeTimeProvider Time { get; } = new();
        public ToyGuest Guest { get; } = new();
        public BlockingClock Blocking { get; }
        public TimeBoundedReferenceClock Preferred { get; }
        public TimeBoundedReferenceClock? Fallback { get; }
        public SyncLoop Loop { get; }
        public ListLogger Log { get; } = new();
        public ClockTimeoutReporter Timeouts { get; }

        public Rig(bool withFallback)
        {
            Blocking = new BlockingClock(new ToyPhc(Guest, "/dev/ptp0"));
            Preferred = new TimeBoundedReferenceClock(Blocking, ReadTimeout, Time, firstReadTimeout: ReadTimeout);
            List<IReferenceClock> clocks = [Preferred];
            if (withFallback)
            {
                Fallback = new TimeBoundedReferenceClock(new ToyPhc(Guest, "/dev/ptp1"), ReadTimeout, Time, firstReadTimeout: ReadTimeout);
                clocks.Add(Fallback);
            }
            var pipeline = new EnginePipeline(new SyncEngineOptions(), LeapSecondTable.Embedded, 9, Duration.FromNanoseconds(250_000_000));
            foreach (var clock in clocks)
                pipeline.Engine.AddSource(clock.Info.Path, clock.Info.Name, clock.Info.Scale);
            Loop = new SyncLoop(pipeline, clocks, Guest);
            Timeouts = new ClockTimeoutReporter(Log);
            Loop.ReadCompleted += Timeouts.Observe;
        }

        /// <summary>One tick of the loop on the caller's thread (the loop must never wait for a stuck device here).</summary>
        public void Tick()
        {
            Guest.Advance(ReadInterval);
            Time.Advance(ReadInterval);
            Loop.Step();
        }

        /// <summary>The tick whose read gets stuck: runs it aside, and lets the read timeout pass once the read is in the device.</summary>
        public async Task StuckTick()
        {
            Guest.Advance(ReadInterval);
            Time.Advance(ReadInterval);
            Blocking.ResetEntered();
            var step = Task.Run(Loop.Step);
            Assert.True(Blocking.WaitForRead(), "the loop read the preferred clock");
            Assert.False(step.IsCompleted, "the step waits for the read timeout");
            Time.Advance(ReadTimeout);
            await step.WaitAsync(TimeSpan.FromSeconds(30)); // fails instead of hanging the run if the timeout never fires
        }

        public SourceSnapshot Source(string path) => Loop.Current!.Sources.Single(s => s.Path == path);

        public void Dispose()
        {
            Blocking.Open();
            Preferred.Dispose();
            Fallback?.Dispose();
            Timeouts.Dispose();
        }
    }

    [Fact]
    public async Task ATimedOutClockFailsOverToTheNextAndBackOnceItAnswers()
    {
        using var rig = new Rig(withFallback: true);
        for (var i = 0; i < 40; i++) rig.Tick();
        Assert.Equal("/dev/ptp0", rig.Loop.Current!.SelectedSource);
        var ptp1Samples = rig.Source("/dev/ptp1").Samples;
        Assert.Equal(0, ptp1Samples);

        rig.Blocking.Close();
        await rig.StuckTick();

        Assert.Same(rig.Fallback, rig.Loop.Selected);
        Assert.Equal("/dev/ptp1", rig.Loop.Current!.SelectedSource);
        Assert.True(rig.Source("/dev/ptp1").Selected);
        Assert.False(rig.Source("/dev/ptp0").Selected);
        Assert.Contains("no answer from the clock within 2000 ms", rig.Source("/dev/ptp0").LastFailure);

        for (var i = 0; i < 12; i++) rig.Tick();
        Assert.Equal(1 + 40, rig.Blocking.Calls); // no read piled up on the stuck device
        Assert.Equal("/dev/ptp1", rig.Loop.Current!.SelectedSource);
        Assert.Equal(SyncState.Tracking, rig.Loop.Current.State);
        Assert.Equal(0, rig.Source("/dev/ptp0").Reach);
        Assert.Equal(255, rig.Source("/dev/ptp1").Reach);
        Assert.True(rig.Source("/dev/ptp1").Samples >= 13);

        rig.Blocking.Open();
        Assert.True(SpinWait.SpinUntil(() => !rig.Preferred.IsStuck, TimeSpan.FromSeconds(30)), "the stuck read returned");
        rig.Tick();
        Assert.Same(rig.Preferred, rig.Loop.Selected);
        Assert.Equal("/dev/ptp0", rig.Loop.Current!.SelectedSource);
        Assert.Equal(1, rig.Source("/dev/ptp0").Reach);
    }

    [Fact]
    public async Task RepeatedTimeoutsPutTheEngineInHoldoverWithTheFailureShown()
    {
        using var rig = new Rig(withFallback: false);
        for (var i = 0; i < 240; i++) rig.Tick();
        Assert.Equal(SyncState.Tracking, rig.Loop.Current!.State);
        Assert.Equal(255, rig.Source("/dev/ptp0").Reach);
        var boundTracking = rig.Loop.Current.ErrorBound;

        rig.Blocking.Close();
        await rig.StuckTick();
        Assert.Equal(SyncState.Tracking, rig.Loop.Current.State); // one miss is not yet holdover
        for (var i = 0; i < 20; i++) rig.Tick(); // 5 s more without an answer

        var status = StatusDocument.From(rig.Loop.Current);
        Assert.Equal("holdover", status.State);
        var source = status.Sources.Single();
        Assert.Equal(0, source.Reach);
        Assert.Contains("still stuck in the driver", source.LastFailure);
        Assert.True(rig.Loop.Current.ErrorBound > boundTracking, "the bound grows in holdover");
        Assert.Equal(1 + 240, rig.Blocking.Calls);
        Assert.Equal(rig.Guest.LocalNs, rig.Loop.Current.At.Nanoseconds); // the snapshot is fresh, not the last good one

        rig.Blocking.Open();
        Assert.True(SpinWait.SpinUntil(() => !rig.Preferred.IsStuck, TimeSpan.FromSeconds(30)), "the stuck read returned");
        for (var i = 0; i < 20; i++) rig.Tick();
        Assert.Equal(SyncState.Tracking, rig.Loop.Current.State);
        Assert.Equal(255, rig.Source("/dev/ptp0").Reach);
    }

    [Fact]
    public async Task TheFirstTimeoutIsAWarningAndTheFirstGoodReadAfterItInformationAndEveryTimeoutIsCounted()
    {
        var counted = new List<(long Value, string Labels)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MetricNames.MeterName && instrument.Name == MetricNames.SourceReadTimeoutsTotal)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (counted) counted.Add((value, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"))));
        });
        listener.Start();
        using var rig = new Rig(withFallback: true);
        rig.Tick();
        rig.Blocking.Close();
        await rig.StuckTick();
        for (var i = 0; i < 5; i++) rig.Tick();
        rig.Blocking.Open();
        Assert.True(SpinWait.SpinUntil(() => !rig.Preferred.IsStuck, TimeSpan.FromSeconds(30)));
        rig.Tick();
        rig.Tick();

        var entries = rig.Log.Entries;
        Assert.Equal(2, entries.Count);
        Assert.Equal(LogLevel.Warning, entries[0].Level);
        Assert.StartsWith("/dev/ptp0 does not answer: /dev/ptp0: no answer from the clock within 2000 ms", entries[0].Message);
        Assert.Equal(LogLevel.Information, entries[1].Level);
        Assert.Equal("/dev/ptp0 reads again after 6 readings timed out", entries[1].Message);
        lock (counted)
        {
            Assert.Equal(6, counted.Count);
            Assert.All(counted, c => Assert.Equal((1L, "path=/dev/ptp0,type=utc,variant=none"), c));
        }
    }

    [Theory]
    [InlineData(ClockErrorKind.Timeout, true)]
    [InlineData(ClockErrorKind.DeviceGone, true)]
    [InlineData(ClockErrorKind.NotSupported, true)]
    [InlineData(ClockErrorKind.Transient, false)]
    [InlineData(ClockErrorKind.PermissionDenied, false)]
    public void TheLoopFailsOverOnTimeoutLikeOnAGoneDevice(ClockErrorKind kind, bool failsOver) =>
        Assert.Equal(failsOver ? Sync.Filters.Selection.ReadOutcome.Unavailable : Sync.Filters.Selection.ReadOutcome.Failed,
            SyncLoop.OutcomeOf(kind));
}

public sealed class LinuxClockSourcesTests
{
    /// <summary>
    /// The shipped configuration lists /dev/ptp_virtio_tai, /dev/ptp_virtio_utc and type utc. A host serving only UTC
    /// (QEMU's built-in device), or a guest without udev links, must still start on the selector that matches: seen in
    /// the lab's systemd scenario, where the unit failed with "no PTP clock matches path /dev/ptp_virtio_tai".
    /// </summary>
    [Fact]
    public void ASelectorThatMatchesNothingIsSkippedForTheNextOne()
    {
        using var fs = new Sync.TestSupport.FakeSysfs().Clock(0, "Virtio PTP type 0/variant 0");
        var sources = new Sync.Daemon.Configuration.SourcesOptions
        {
            Clocks = [Sync.Clock.Linux.ClockSelector.ByPath("/dev/ptp_virtio_tai"),
                Sync.Clock.Linux.ClockSelector.ByKeyword(Sync.Clock.Linux.ClockSelectorKeyword.Utc),
                Sync.Clock.Linux.ClockSelector.ByClockName("Virtio PTP type 0/variant 0")],
        };
        var skipped = new List<string>();

        var opened = LinuxClockSources.Open(sources, new Sync.Clock.Linux.PtpClockDiscovery(fs.SysfsRoot, fs.DevRoot), new FakeTimeProvider(), skipped.Add);

        Assert.True(opened.IsOk, opened.Error?.ToString());
        try
        {
            var clock = Assert.Single(opened.Value); // the UTC clock, once, though two selectors name it
            Assert.Equal(Path.Combine(fs.DevRoot, "ptp0"), clock.Info.Path);
            Assert.Contains("/dev/ptp_virtio_tai", Assert.Single(skipped));
        }
        finally
        {
            foreach (var clock in opened.Value) clock.Dispose();
        }
    }

    [Fact]
    public void WhenNoSelectorMatchesOpeningFailsNamingThemAll()
    {
        using var fs = new Sync.TestSupport.FakeSysfs().Clock(0, "Virtio PTP type 0/variant 0");
        var sources = new Sync.Daemon.Configuration.SourcesOptions
        {
            Clocks = [Sync.Clock.Linux.ClockSelector.ByPath("/dev/ptp_virtio_tai"),
                Sync.Clock.Linux.ClockSelector.ByKeyword(Sync.Clock.Linux.ClockSelectorKeyword.Tai)],
        };

        var opened = LinuxClockSources.Open(sources, new Sync.Clock.Linux.PtpClockDiscovery(fs.SysfsRoot, fs.DevRoot), new FakeTimeProvider());

        Assert.False(opened.IsOk);
        Assert.Contains("/dev/ptp_virtio_tai is not a PTP clock", opened.Error!.Message);
        Assert.Contains("no TAI PTP clock found", opened.Error!.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void EveryRealClockIsReadThroughTheConfiguredReadTimeout()
    {
        using var fs = new Sync.TestSupport.FakeSysfs().Clock(0, "Virtio PTP type 0/variant 0").Clock(1, "Virtio PTP type 1/variant 0");
        var sources = new Sync.Daemon.Configuration.SourcesOptions { ReadTimeoutMs = 750 };

        var opened = LinuxClockSources.Open(sources, new Sync.Clock.Linux.PtpClockDiscovery(fs.SysfsRoot, fs.DevRoot), new FakeTimeProvider());

        Assert.True(opened.IsOk, opened.Error?.ToString());
        Assert.Equal(2, opened.Value.Count);
        try
        {
            Assert.All(opened.Value, clock =>
            {
                var bounded = Assert.IsType<TimeBoundedReferenceClock>(clock);
                Assert.Equal(TimeSpan.FromMilliseconds(750), bounded.ReadTimeout);
                Assert.IsType<Sync.Daemon.Resilience.ResilientReferenceClock>(bounded.Inner);
            });
            Assert.Equal(Path.Combine(fs.DevRoot, "ptp1"), opened.Value[0].Info.Path); // TAI first
        }
        finally
        {
            foreach (var clock in opened.Value) clock.Dispose();
        }
    }
}

/// <summary>`virtsyncd clocks` reports the choice `sync` makes: both go through PtpClockSelector.Choose.</summary>
public sealed class OneClockSelectionTests
{
    [Theory]
    [InlineData("")]
    [InlineData("utc")]
    [InlineData("utc-smeared")]
    [InlineData("ptp0")]
    [InlineData("utc-smeared-sls,tai")]
    public void ClocksReportsTheClockSyncOpensFirst(string selection)
    {
        using var fs = new Sync.TestSupport.FakeSysfs()
            .Clock(0, "Virtio PTP type 0/variant 0").Clock(1, "Virtio PTP type 1/variant 0").Clock(2, "Virtio PTP type 3/variant 2");
        var selectors = Sync.Clock.Linux.PtpClockSelector.ParseList(selection).Value;
        var sources = new Sync.Daemon.Configuration.SourcesOptions { Clocks = selectors };

        var opened = LinuxClockSources.Open(sources, new Sync.Clock.Linux.PtpClockDiscovery(fs.SysfsRoot, fs.DevRoot), new FakeTimeProvider());
        var stdout = new StringWriter();
        var exit = Sync.Daemon.Modes.ClocksMode.Run(selection.Length == 0 ? [] : ["--select", selection], stdout, new StringWriter(), fs.SysfsRoot, fs.DevRoot);

        Assert.True(opened.IsOk, opened.Error?.ToString());
        try
        {
            Assert.Equal(0, exit);
            Assert.Contains($"sync would choose: {opened.Value[0].Info.Path} ", stdout.ToString());
            Assert.Equal(selectors.Count == 0 ? 3 : selectors.Count, opened.Value.Count);
        }
        finally
        {
            foreach (var clock in opened.Value) clock.Dispose();
        }
    }

    [Fact]
    public void AClockThatCannotSteerIsRefusedBySyncAsByClocks()
    {
        using var fs = new Sync.TestSupport.FakeSysfs().Clock(0, "Virtio PTP type 2/variant 0").Clock(1, "Virtio PTP type 1/variant 0");
        var sources = new Sync.Daemon.Configuration.SourcesOptions { Clocks = [Sync.Clock.Linux.ClockSelector.ByDeviceName("ptp0")] };

        var opened = LinuxClockSources.Open(sources, new Sync.Clock.Linux.PtpClockDiscovery(fs.SysfsRoot, fs.DevRoot), new FakeTimeProvider());
        var stderr = new StringWriter();
        var exit = Sync.Daemon.Modes.ClocksMode.Run(["--select", "ptp0"], new StringWriter(), stderr, fs.SysfsRoot, fs.DevRoot);

        Assert.False(opened.IsOk);
        Assert.Contains("sources:clocks: ", opened.Error!.Message);
        Assert.Contains("cannot steer CLOCK_REALTIME", opened.Error!.Message);
        Assert.Equal(1, exit);
        Assert.Contains("cannot steer CLOCK_REALTIME", stderr.ToString());
    }
}
