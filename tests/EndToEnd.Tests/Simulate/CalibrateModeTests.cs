using Sync.Clock.Abstractions;
using Sync.Clock.Simulation;
using Sync.Daemon.Modes;
using Sync.Filters.Engine;

namespace Sync.EndToEnd.Tests.Simulate;

/// <summary>`virtsyncd calibrate`'s measurement, on the calibrated-path world (virtual time, both devices present).</summary>
public class CalibrateModeTests
{
    [Fact]
    public void MeasuresTheWidePathsReadPointAgainstTheNarrowOne()
    {
        var scenario = ScenarioCatalog.Get("calibrated-path");
        scenario.SecondDevice!.RemovedAfterS = null;
        var world = ScenarioWorld.Create(scenario);
        var interval = world.ReadIntervalNs;

        var measured = CalibrateMode.Measure(world.Phcs.ToList<IReferenceClock>(), new SyncEngineOptions(), 9, 4 * 120,
            () => world.AdvanceTo(world.World.TrueNs + interval));

        var wide = measured.Single(m => m.Path == world.Phc.Info.Path);
        var narrow = measured.Single(m => m.Path == world.SecondPhc!.Info.Path);
        Assert.Null(narrow.Calibration);
        var calibration = Assert.IsType<Sync.Filters.Selection.SourceCalibration>(wide.Calibration);
        // The wide device reads 30 % into a ~100 us window: its midpoint offsets are ~15 us off.
        Assert.InRange(Math.Abs(calibration.Correction.Nanoseconds), 12_000, 19_000);
        Assert.True(calibration.Allowance < wide.HalfWindow!.Value, $"allowance {calibration.Allowance}, half window {wide.HalfWindow}");
    }
}
