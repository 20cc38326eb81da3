using Sync.Clock.Abstractions;
using Sync.Clock.Linux.VmClock;
using Sync.Clock.Simulation;
using Sync.Clock.Virtio;
using Sync.Clock.Virtio.Rtc;
using Sync.Daemon.Pipeline;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>
/// The whole loop on a simulated virtio-x86 world with a simulated vmclock page: the hypervisor bumps the disruption
/// marker (snapshot restore) and the loop acts on it in the same step, before that step's PHC reading: the kernel is
/// told "unsynchronized" with maxerror 16 s, the restored clock is stepped back once, and all is back within 5 s.
/// </summary>
public sealed class VmClockDisruptionTests
{
    private const double RestoreAtS = 300;

    private static VmClockSnapshot Page(ulong marker, ulong? generation = null) => new(
        VmClockLayout.FullSize, 1, (byte)VmClockCounter.X86Tsc, 0, 0, marker,
        generation is null ? VmClockFlags.None : VmClockFlags.VmGenerationCounterPresent, VmClockStatus.Synchronized, 0,
        null, null, null, null, null, null, null, null, null, null, null, generation);

    private static ClockResult<VmClockSnapshot> Ok(VmClockSnapshot page) => ClockResult<VmClockSnapshot>.Ok(page);

    private sealed record Run(List<(double T, ClockCommand Command)> Commands, List<(double T, long OffsetNs, KernelClockState Kernel)> After,
        List<(double T, VmClockDisruption D)> Disruptions, long Jumps, Sync.Filters.Status.SyncSnapshot Final);

    /// <summary>At RestoreAtS the marker goes 7 -> 8 and the guest clock is restoreStepMs off (an older clock restored).</summary>
    private static Run RunRestore(double restoreStepMs, bool watch = true)
    {
        var scenario = ScenarioCatalog.Get("virtio-x86");
        scenario.DurationS = 360;
        if (restoreStepMs != 0)
            scenario.Events = [new ScenarioEvent { TS = RestoreAtS, Kind = ScenarioEvent.GuestStep, StepMs = restoreStepMs }];
        var world = ScenarioWorld.Create(scenario);
        using var device = new VirtioRtcDevice(new VirtioRtcDeviceOptions { Clocks = [new DeviceClock(world.ServedClock)] });
        var driver = new VirtioRtcDriver(new InMemoryVirtqueueChannel(device));
        world.Phc.DeviceRead = () => driver.Read(0).Value;
        var pipeline = new EnginePipeline(new SyncEngineOptions(), world.LeapTable, world.SamplesPerReading, Duration.FromNanoseconds(world.ReadIntervalNs));
        var elapsedS = 0.0;
        ulong marker = 7;
        var loop = new SyncLoop(pipeline, [world.Phc], world.GuestClock)
        {
            VmClockDisruptions = watch ? new VmClockDisruptionWatcher(() => ClockResult<VmClockSnapshot>.Ok(Page(marker))) : null,
        };
        var commands = new List<(double, ClockCommand)>();
        var disruptions = new List<(double, VmClockDisruption)>();
        var after = new List<(double, long, KernelClockState)>();
        loop.CommandIssued += c => commands.Add((elapsedS, c));
        loop.VmClockDisrupted += d => disruptions.Add((elapsedS, d));
        for (var t = world.StartTrueNs; t < world.EndTrueNs; t += world.ReadIntervalNs)
        {
            world.AdvanceTo(t);
            elapsedS = (t - world.StartTrueNs) / 1e9;
            if (elapsedS >= RestoreAtS)
                marker = 8;
            loop.Step();
            if (elapsedS >= RestoreAtS)
                after.Add((elapsedS, world.GuestClock.TrueOffsetNs, world.GuestClock.ReadState().Value));
        }
        return new Run(commands, after, disruptions, pipeline.Engine.Jumps, loop.Current!);
    }

    [Fact]
    public void ARestoreIsActedOnBeforeTheReadingAndSteppedBackOnce()
    {
        var r = RunRestore(-5_000);

        var (at, d) = Assert.Single(r.Disruptions);
        Assert.InRange(at, RestoreAtS, RestoreAtS + 0.5); // the first step after the marker changed: one read interval
        Assert.Equal((7UL, 8UL), (d.PreviousMarker, d.Marker));
        // In that step: first the disruption's command (unsynchronized, 16 s, no step), then the reading's step.
        var inStep = r.Commands.Where(c => c.T == at).Select(c => c.Command).ToList();
        Assert.True(inStep.Count >= 2, $"{inStep.Count} commands in the restore's step");
        Assert.True(inStep[0].Status!.Value.HasFlag(ClockStatus.Unsynchronized));
        Assert.Equal(DisciplineController.UnsynchronizedMaxError, inStep[0].MaxError);
        Assert.Null(inStep[0].Step);
        var steps = r.Commands.Where(c => c.T >= RestoreAtS && c.Command.Step is not null).ToList();
        var (stepAt, step) = Assert.Single(steps);
        Assert.Equal(at, stepAt);
        Assert.InRange(step.Step!.Value.TotalSeconds, 4.999, 5.001);
        Assert.Equal(1, r.Jumps);
        // Shown: status and metrics read the marker and the count from the snapshot.
        Assert.Equal(8UL, r.Final.VmClockMarker);
        Assert.Equal(1, r.Final.VmClockDisruptions);
        var status = Sync.Daemon.Status.StatusDocument.From(r.Final);
        Assert.Contains("VM clock        : disruption marker 8, 1 disruptions since start", Sync.Daemon.Status.StatusRenderer.Render(status));
        Assert.Contains("\"vmClockDisruptions\": 1", System.Text.Json.JsonSerializer.Serialize(status, Sync.Daemon.Status.StatusJsonContext.Default.StatusDocument));
        // Back within 50 us and "synchronized" with a small maxerror within 5 s of the restore, and staying there.
        var settled = r.After.Where(a => a.T >= RestoreAtS + 5).ToList();
        Assert.True(settled.Max(a => Math.Abs(a.OffsetNs)) < 50_000, $"max |offset| from 5 s after the restore {settled.Max(a => Math.Abs(a.OffsetNs))} ns");
        Assert.All(settled, a => Assert.False(a.Kernel.Status.HasFlag(ClockStatus.Unsynchronized), $"t {a.T}: still unsynchronized"));
        Assert.True(settled[^1].Kernel.MaxError < Duration.FromMicroseconds(100), $"maxerror {settled[^1].Kernel.MaxError}");
    }

    [Fact]
    public void TheMarkerAloneWidensTheBoundAtOnceAndRecoversWithin5s()
    {
        var r = RunRestore(0);

        var (at, _) = Assert.Single(r.Disruptions);
        var first = r.After.First();
        Assert.Equal(at, first.T);
        Assert.True(first.Kernel.Status.HasFlag(ClockStatus.Unsynchronized), "unsynchronized in the marker's own step");
        Assert.True(first.Kernel.MaxError >= Duration.FromSeconds(15), $"maxerror {first.Kernel.MaxError} in the marker's step");
        Assert.DoesNotContain(r.Commands, c => c.T >= RestoreAtS && c.Command.Step is not null);
        var synced = r.After.First(a => !a.Kernel.Status.HasFlag(ClockStatus.Unsynchronized));
        Assert.True(synced.T - RestoreAtS <= 5, $"synchronized again {synced.T - RestoreAtS:0.00} s after the marker");
        Assert.True(r.After.Max(a => Math.Abs(a.OffsetNs)) < 50_000);

        // Without the watcher the same run never leaves "synchronized": the marker is what widened the bound.
        var unwatched = RunRestore(0, watch: false);
        Assert.DoesNotContain(unwatched.After, a => a.Kernel.Status.HasFlag(ClockStatus.Unsynchronized));
        // Without a vmclock device nothing about it is shown.
        Assert.Null(unwatched.Final.VmClockMarker);
        Assert.DoesNotContain("VM clock", Sync.Daemon.Status.StatusRenderer.Render(Sync.Daemon.Status.StatusDocument.From(unwatched.Final)));
    }

    [Fact]
    public void TheWatcherReportsMarkerAndGenerationChangesAndIgnoresFailedReads()
    {
        var pages = new Queue<ClockResult<VmClockSnapshot>>([
            Ok(Page(1, 10)), Ok(Page(1, 10)), new ClockError(ClockErrorKind.Transient, "EAGAIN", "busy"), Ok(Page(2, 10)), Ok(Page(2, 11)), Ok(Page(2, 11))]);
        var watcher = new VmClockDisruptionWatcher(() => pages.Dequeue());
        Assert.Null(watcher.Poll());               // first read: nothing to compare with
        Assert.Null(watcher.Poll());
        Assert.Null(watcher.Poll());               // failed read: reported as an error, not a disruption
        Assert.NotNull(watcher.LastError);
        Assert.Equal(new VmClockDisruption(1, 2, 10, 10), watcher.Poll());
        Assert.Equal(new VmClockDisruption(2, 2, 10, 11), watcher.Poll()); // the VM generation counter alone
        Assert.Null(watcher.Poll());
        Assert.Equal(2, watcher.Disruptions);
        Assert.Equal(2UL, watcher.Marker);
    }
}
