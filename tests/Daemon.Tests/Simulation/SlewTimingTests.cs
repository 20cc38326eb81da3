using Sync.Clock.Simulation;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;

namespace Sync.Daemon.Tests.Simulation;

/// <summary>
/// A large slew starts and stops when the command is applied, not when it was made. A cross-timestamp is taken inside
/// a read that still has the rest of its round trip to go (here 200 us), so the command made from it reaches the
/// kernel that much later; a 0.5 ms served step is followed and slewed away at hundreds of ppm, and a slew dated at
/// the sample leaves 200 us x its rate (~100 ns at 500 ppm) that neither the estimate nor its bound knew of (random
/// world 2-247 missed its bound this way). Through the whole chain (the real loop applies the commands and reports
/// when), every published bound covers the offset from the served clock.
/// </summary>
public sealed class SlewTimingTests
{
    private static Scenario SlowCrossTimestamps() => ScenarioCatalog.Get("quiet") with
    {
        Name = "slow-cross-timestamps",
        DurationS = 300,
        Delay = new DelaySettings { BaseDelayNs = 200_000, JitterNs = 0, PreciseErrorNs = 2 },
        InitialGuestOffsetMs = 0,
        // Below the 1 ms recovery threshold: followed and slewed, not stepped.
        Events = [new ScenarioEvent { TS = 150, Kind = ScenarioEvent.ServedStep, StepMs = 0.5 }],
    };

    [Fact]
    public void ASlewAppliedAfterASlowReadStaysInsideTheBound()
    {
        var scenario = SlowCrossTimestamps();
        Assert.Empty(scenario.Validate());
        var result = SimulationRunner.Run(scenario, SimulationRunner.Virtsync(new SyncEngineOptions()), LeapPolicy.Kernel);

        // The step is slewed (no step after start-up) ...
        var afterStep = result.Trace.Where(p => p.TimeS >= 150).ToList();
        Assert.All(afterStep, p => Assert.Equal(0, p.CommandedStepNs));
        Assert.Contains(afterStep, p => Math.Abs(p.ErrorNs) > 100_000);
        Assert.True(Math.Abs(afterStep[^1].ErrorNs) < 1_000, $"slewed onto the served clock by the end: {afterStep[^1].ErrorNs} ns");
        // ... and every bound published from the first estimate on covers the offset from the served clock, through the slew.
        var judged = result.Trace.Where(p => p.TimeS >= 10 && p.BoundNs >= 0).ToList();
        Assert.NotEmpty(judged);
        var misses = judged.Where(p => Math.Abs(p.ErrorNs) > p.BoundNs).ToList();
        Assert.True(misses.Count == 0, $"{misses.Count} of {judged.Count} bounds missed, first at {misses.FirstOrDefault().TimeS:0.0} s: " +
            $"error {misses.FirstOrDefault().ErrorNs} ns, bound {misses.FirstOrDefault().BoundNs} ns");
    }
}
