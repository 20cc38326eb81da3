using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Sync.Clock.Abstractions;
using Sync.Daemon.Cli;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Pipeline;
using Sync.Filters.Discipline;
using Sync.Filters.Status;

namespace Sync.Daemon.Tests;

/// <summary>
/// `sync`'s hosted service composed from injected edges (<see cref="SyncEdges"/>): a toy guest clock and a toy PHC on
/// fake time, no devices, no real clock.
/// </summary>
public sealed class SyncServiceTests
{
    private static readonly TimeSpan ReadInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private sealed class Rig
    {
        public FakeTimeProvider Time { get; } = new();
        public ToyGuest Guest { get; } = new();
        public SyncStatusPublisher Publisher { get; } = new();
        public RecordingLifetime Lifetime { get; } = new();
        public DaemonExit Exit { get; }
        public ListLogger Log { get; } = new();
        public SemaphoreSlim Published { get; } = new(0);
        public SyncService Service { get; }
        public List<DisposeCounting> Opened { get; } = [];

        public Rig(Func<Rig, ClockResult<IReadOnlyList<IReferenceClock>>>? open = null, Func<Rig, ISystemClock>? system = null)
        {
            Exit = new DaemonExit(Lifetime);
            Publisher.Updated += _ => Published.Release();
            var options = new VirtsyncOptions { Sources = new SourcesOptions { ReadIntervalSeconds = ReadInterval.TotalSeconds } };
            Service = new SyncService(options, Publisher, Time, Exit, new OneLoggerFactory(Log), chrony: null, new SyncEdges(
                () => open?.Invoke(this) ?? OpenToy(),
                () => system?.Invoke(this) ?? Guest));
        }

        private ClockResult<IReadOnlyList<IReferenceClock>> OpenToy()
        {
            var clock = new DisposeCounting(new ToyPhc(Guest, "/dev/ptp0"));
            Opened.Add(clock);
            return ClockResult<IReadOnlyList<IReferenceClock>>.Ok([clock]);
        }

        /// <summary>Waits for the service's next published step (the first comes at once, then one per tick).</summary>
        public async Task NextStep() => Assert.True(await Published.WaitAsync(Patience), "the service published a step");

        public async Task Tick()
        {
            Guest.Advance(ReadInterval);
            Time.Advance(ReadInterval);
            await NextStep();
        }
    }

    internal sealed class DisposeCounting(IReferenceClock inner) : IReferenceClock
    {
        public int Disposals { get; private set; }
        public ReferenceClockInfo Info => inner.Info;
        public Filters.Samples.ReadingMethod? Method => inner.Method;
        public ClockResult<Filters.Samples.PhcReading> Read(int samplesPerReading) => inner.Read(samplesPerReading);
        public void Dispose() => Disposals++;
    }

    [Fact]
    public async Task ReadsEveryReadIntervalSteersTheClockPublishesAndClosesTheClocksOnStop()
    {
        var rig = new Rig();
        var initialOffsetNs = rig.Guest.LocalNs - rig.Guest.TrueNs;

        await rig.Service.StartAsync(CancellationToken.None);
        await rig.NextStep();
        for (var i = 0; i < 120; i++) await rig.Tick();

        var snapshot = rig.Publisher.Current!;
        Assert.Equal("/dev/ptp0", snapshot.SelectedSource);
        Assert.Equal(SyncState.Tracking, snapshot.State);
        Assert.Equal(121, snapshot.Sources.Single().Samples);
        Assert.True(Math.Abs(rig.Guest.LocalNs - rig.Guest.TrueNs) < initialOffsetNs / 4,
            $"the guest clock was steered: {initialOffsetNs} ns -> {rig.Guest.LocalNs - rig.Guest.TrueNs} ns");
        Assert.Contains(rig.Log.Entries, e => e.Level == LogLevel.Information && e.Message.StartsWith("READY: first estimate from /dev/ptp0", StringComparison.Ordinal));
        Assert.Contains(rig.Log.Entries, e => e.Message.Contains("steering the clock: True", StringComparison.Ordinal));

        await rig.Service.StopAsync(CancellationToken.None);
        Assert.Equal(1, Assert.Single(rig.Opened).Disposals);
        Assert.Equal(0, rig.Exit.Code);
        Assert.False(rig.Lifetime.Stopped);
    }

    [Fact]
    public async Task NoClockToOpenEndsTheDaemonWithTheReason()
    {
        var rig = new Rig(open: _ => new ClockError(ClockErrorKind.DeviceGone, "ENODEV", "no PTP clocks found"));

        await rig.Service.StartAsync(CancellationToken.None);
        await rig.Service.ExecuteTask!.WaitAsync(Patience);

        Assert.Equal(ExitCodes.RuntimeFailure, rig.Exit.Code);
        Assert.Equal("no PTP clocks found", rig.Exit.Reason);
        Assert.True(rig.Lifetime.Stopped);
        Assert.Null(rig.Publisher.Current);
    }

    [Fact]
    public async Task ASystemClockThatMayNotBeSteeredEndsTheDaemonNamingTheCapability()
    {
        var rig = new Rig(system: r => new DeniedClock(r.Guest));

        await rig.Service.StartAsync(CancellationToken.None);
        for (var i = 0; i < 40 && !rig.Service.ExecuteTask!.IsCompleted; i++)
        {
            rig.Guest.Advance(ReadInterval);
            rig.Time.Advance(ReadInterval);
            await rig.Published.WaitAsync(TimeSpan.FromMilliseconds(200));
        }
        await rig.Service.ExecuteTask!.WaitAsync(Patience);

        Assert.Equal(ExitCodes.RuntimeFailure, rig.Exit.Code);
        Assert.Contains("steering the clock needs CAP_SYS_TIME", rig.Exit.Reason);
        Assert.Equal(1, Assert.Single(rig.Opened).Disposals);
    }

    /// <summary>Reads like the toy guest; every write fails with EPERM, as without CAP_SYS_TIME.</summary>
    private sealed class DeniedClock(ToyGuest guest) : ISystemClock
    {
        public Filters.Time.Instant<Filters.Time.Utc> Now() => guest.Now();
        public ClockResult<KernelClockState> ReadState() => guest.ReadState();
        public ClockResult<KernelClockState> Apply(ClockCommand command) =>
            new ClockError(ClockErrorKind.PermissionDenied, "EPERM", "clock_adjtime(CLOCK_REALTIME) not permitted");
    }
}
