using System.Diagnostics;
using Sync.Clock.Simulation;
using Sync.Clock.Virtio;
using Sync.Clock.Virtio.Rtc;
using Sync.Daemon.Pipeline;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Daemon.Simulation;

/// <summary>
/// Runs a scenario: the simulated world serves its host clock through the real virtio-rtc device over an
/// in-memory split virtqueue; the real <see cref="SyncLoop"/> reads the simulated PHC, hands readings to the
/// pipeline and applies its commands to the simulated guest clock, on virtual time.
/// </summary>
public static class SimulationRunner
{
    /// <param name="realtime">When given, each read waits for the read interval of wall-clock time (for
    /// `simulate --realtime`, so dashboards and `status` can be tried); the run ends early when it is cancelled.</param>
    /// <param name="onSnapshot">Called with the loop's snapshot after every read.</param>
    public static SimulationResult Run(Scenario scenario, Func<ScenarioWorld, ISyncPipeline> makePipeline,
        LeapPolicy policy, Action<double>? progress = null, CancellationToken? realtime = null,
        Action<Filters.Status.SyncSnapshot>? onSnapshot = null, FigureRules? rules = null)
    {
        var wall = Stopwatch.StartNew();
        var world = ScenarioWorld.Create(scenario);
        // One virtio-rtc device serving every clock of the scenario's device (served_clock, then also_served_clocks).
        IReadOnlyList<SimulatedPhc> deviceClocks = [world.Phc, .. world.AlsoServedPhcs];
        using var device = new VirtioRtcDevice(new VirtioRtcDeviceOptions { Clocks = [.. deviceClocks.Select(p => new DeviceClock(p.Served))] });
        var driver = new VirtioRtcDriver(new InMemoryVirtqueueChannel(device));
        for (var i = 0; i < deviceClocks.Count; i++)
        {
            var clockId = (ushort)i;
            deviceClocks[i].DeviceRead = () => driver.Read(clockId) is { IsOk: true } reading
                ? reading.Value
                : throw new InvalidOperationException($"the simulated virtio-rtc device failed a READ of clock {clockId}");
        }

        // The clocks in the order `sync` would choose them (PtpClockSelector, from their clock_names), registered with
        // the engine in that order as `sync` does; with more than one every clock is read each step (sources:combine).
        var clocks = SimulatedClockSources.Choose(world.Phcs);
        var pipeline = makePipeline(world);
        (pipeline as EnginePipeline)?.AddSources(clocks);
        // Observe mode (the chrony agent, a dry run): the engine's commands are not applied; it reads the clock back.
        var observer = pipeline is EnginePipeline { Engine.Control: ClockControl.Observe } engine
            ? new ClockObserver(world.GuestClock, engine.Engine)
            : null;
        var loop = new SyncLoop(pipeline, clocks, world.GuestClock,
            writeEnabled: observer is null, combine: clocks.Count > 1, observer: observer);
        if (onSnapshot is not null)
            loop.Updated += onSnapshot;
        var followsSmear = policy == LeapPolicy.FollowSmear && world.ServedClock.Scale.Scale == TimeScale.UtcSmeared
            && LeapSmear.IsComputable(world.ServedClock.Scale.Variant);

        var trace = new List<TracePoint>((int)(scenario.DurationNs / pipeline.ReadInterval.Nanoseconds) + 1);
        var intervalNs = pipeline.ReadInterval.Nanoseconds;
        var totalNs = (double)(world.EndTrueNs - world.StartTrueNs);
        var nextProgress = 0.0;
        var stepsBefore = world.GuestClock.CommandedStepsNs;
        var discontinuitiesBefore = pipeline.Discontinuities;
        for (var t = world.StartTrueNs; t < world.EndTrueNs; t += intervalNs)
        {
            world.AdvanceTo(Math.Max(t, world.World.TrueNs));
            loop.Step();
            var local = world.GuestClock.Now();
            var trueOffsetNs = followsSmear
                ? local.Nanoseconds - LeapSmear.FromTai(world.World.TrueTaiNow, world.ServedClock.Scale.Variant, world.LeapTable).Nanoseconds
                : world.GuestClock.TrueOffsetNs;
            trace.Add(new TracePoint(
                (world.World.TrueNs - world.StartTrueNs) / 1e9,
                trueOffsetNs,
                pipeline.Bound(local)?.Nanoseconds ?? -1,
                loop.Current?.LastOffset?.Nanoseconds,
                loop.Current?.State.ToString() ?? "",
                world.ServedClock.FaultOffsetNs(world.World.TrueNs),
                world.GuestClock.CommandedStepsNs - stepsBefore,
                pipeline.Discontinuities - discontinuitiesBefore));
            stepsBefore = world.GuestClock.CommandedStepsNs;
            discontinuitiesBefore = pipeline.Discontinuities;
            if (realtime is { } token)
            {
                if (token.WaitHandle.WaitOne(TimeSpan.FromTicks(intervalNs / 100)))
                    break;
            }
            var done = (t - world.StartTrueNs) / totalNs;
            if (progress is not null && done >= nextProgress)
            {
                progress(done);
                nextProgress += 0.02;
            }
        }
        progress?.Invoke(1);

        var events = world.Events.Select(e => (e.AtElapsedNs / 1e9, e.Kind)).ToList();
        var end = pipeline.Snapshot(world.GuestClock.Now());
        var report = ReportCalculator.Compute(scenario.Name, (long)scenario.Seed, scenario.DurationS, trace, events,
            pipeline.Steps, pipeline.Discontinuities, scenario.ReadIntervalS, rules) with
        {
            WallTimeS = wall.Elapsed.TotalSeconds,
            KernelTaiOffsetS = world.GuestClock.ReadState().Value.TaiOffsetSeconds,
            TrueTaiMinusUtcS = world.TrueTaiMinusUtcSeconds,
            ObservedTaiMinusUtcS = end.ObservedTaiMinusUtc,
            ObservedTaiMinusUtcDisagreesWithTable = end.ObservedTaiMinusUtcDisagreesWithTable,
        };
        return new SimulationResult(pipeline.Name, report, trace);
    }

    /// <summary>
    /// virtsync as a chrony refclock agent: the engine observes, and every reading's sample goes to
    /// <paramref name="attach"/>'s servo (an <see cref="ExternalServo"/> standing in for chronyd), or, with no
    /// servo, nowhere (a dry run: the guest clock runs free). The samples are what the agent sends
    /// (<see cref="Filters.Engine.SyncEngine.EstimateMeasured"/>); <paramref name="rawReadings"/> sends each reading's
    /// raw window instead (<see cref="Filters.Engine.SyncEngine.ReadingMeasured"/>), for comparison.
    /// </summary>
    public static Func<ScenarioWorld, ISyncPipeline> Agent(SyncEngineOptions options, Func<ScenarioWorld, ExternalServo?> attach, bool rawReadings = false) => world =>
    {
        var pipeline = new EnginePipeline(options with { Control = ClockControl.Observe }, world.GuestLeapTable, world.SamplesPerReading,
            Duration.FromNanoseconds(world.ReadIntervalNs));
        if (attach(world) is { } servo)
        {
            void Feed(string _, Filters.Samples.OffsetSample sample)
            {
                servo.Leap = pipeline.Engine.Snapshot(sample.LocalTime).LeapStatus & (Filters.Discipline.ClockStatus.InsertLeap | Filters.Discipline.ClockStatus.DeleteLeap);
                servo.OnSample(sample);
            }
            if (rawReadings)
                pipeline.Engine.ReadingMeasured += Feed;
            else
                pipeline.Engine.EstimateMeasured += Feed;
        }
        return pipeline;
    };

    /// <summary>virtsync's own pipeline as configured for a scenario.</summary>
    public static Func<ScenarioWorld, ISyncPipeline> Virtsync(SyncEngineOptions options) => world =>
        new EnginePipeline(options, world.GuestLeapTable, world.SamplesPerReading, Duration.FromNanoseconds(world.ReadIntervalNs));
}
