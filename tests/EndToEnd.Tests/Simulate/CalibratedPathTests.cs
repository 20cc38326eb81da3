using Sync.Clock.Simulation;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;

namespace Sync.EndToEnd.Tests.Simulate;

/// <summary>
/// The calibrated-path scenario, shortened: a wide path whose device reads 30 % into a ~100 us window, a narrow
/// second device that is removed half way. Measured against the narrow path, the wide path keeps its accuracy
/// alone; without the second device it carries its read point's bias (~15 us) and a bound of half its window.
/// </summary>
public class CalibratedPathTests
{
    private static (double MeanNs, double Coverage, double MedianBoundNs) After(SimulationResult result, double fromS)
    {
        var points = result.Trace.Where(p => p.TimeS >= fromS).ToList();
        var mean = points.Average(p => (double)p.ErrorNs);
        var coverage = points.Count(p => Math.Abs(p.ErrorNs) <= p.BoundNs) / (double)points.Count;
        var bounds = points.Select(p => (double)p.BoundNs).Order().ToList();
        return (mean, coverage, bounds[bounds.Count / 2]);
    }

    [Fact]
    public void TheWidePathKeepsTheNarrowPathsAccuracyAfterItIsGone()
    {
        var scenario = ScenarioCatalog.Get("calibrated-path") with { DurationS = 900 };
        scenario.SecondDevice!.RemovedAfterS = 450;
        var calibrated = SimulationRunner.Run(scenario, SimulationRunner.Virtsync(new SyncEngineOptions()), LeapPolicy.Kernel);

        var alone = ScenarioCatalog.Get("calibrated-path") with { DurationS = 900, SecondDevice = null };
        var uncalibrated = SimulationRunner.Run(alone, SimulationRunner.Virtsync(new SyncEngineOptions()), LeapPolicy.Kernel);

        var (mean, coverage, bound) = After(calibrated, 600);
        var (meanAlone, coverageAlone, boundAlone) = After(uncalibrated, 600);
        Assert.True(Math.Abs(meanAlone) > 10_000, $"uncalibrated bias {meanAlone:0} ns (the read point's)");
        Assert.True(Math.Abs(mean) < 2_000, $"calibrated bias {mean:0} ns, uncalibrated {meanAlone:0} ns");
        Assert.Equal(1.0, coverage);
        Assert.Equal(1.0, coverageAlone);
        Assert.True(bound < boundAlone / 3, $"median bound {bound:0} ns calibrated, {boundAlone:0} ns by causality alone");
    }
}
