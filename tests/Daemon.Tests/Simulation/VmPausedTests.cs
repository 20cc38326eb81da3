using Sync.Clock.Simulation;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;

namespace Sync.Daemon.Tests.Simulation;

/// <summary>The simulator's vm_paused event through the whole chain: the guest comes back behind by the pause and
/// virtsync steps it back at the first reading after resume, once.</summary>
public sealed class VmPausedTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(120)]
    public void APausedVmComesBackBehindAndIsSteppedBackOnce(double pauseS)
    {
        var scenario = ScenarioCatalog.Get("virtio-x86");
        scenario.DurationS = 600;
        scenario.Events = [new ScenarioEvent { TS = 300, Kind = ScenarioEvent.VmPaused, DurationS = pauseS }];
        Assert.Empty(scenario.Validate());
        var result = SimulationRunner.Run(scenario, SimulationRunner.Virtsync(new SyncEngineOptions()), LeapPolicy.Kernel);

        var resumeS = 300 + pauseS;
        var atResume = result.Trace.First(p => p.TimeS >= resumeS);
        // The first trace point after resume is taken after that step's reading: already stepped back.
        var before = result.Trace.Last(p => p.TimeS < 300);
        Assert.True(Math.Abs(before.TrueOffsetNs) < 50_000, $"before the pause {before.TrueOffsetNs} ns");
        var after = result.Trace.Where(p => p.TimeS >= resumeS && p.TimeS < resumeS + 60).ToList();
        Assert.True(after.Max(p => Math.Abs(p.TrueOffsetNs)) < 50_000, $"max |offset| in the minute after resume {after.Max(p => Math.Abs(p.TrueOffsetNs))} ns (first {atResume.TrueOffsetNs} ns)");
        Assert.Contains(result.Report.Events, e => e.Kind == "vm_resumed" && Math.Abs(e.TimeS - resumeS) < 1);
        // One startup step at most, and exactly one more for the pause.
        Assert.InRange(result.Report.Steps, 1, 2);
        var stepsWithoutPause = SimulationRunner.Run(WithoutEvents(scenario), SimulationRunner.Virtsync(new SyncEngineOptions()), LeapPolicy.Kernel).Report.Steps;
        Assert.Equal(stepsWithoutPause + 1, result.Report.Steps);
        // The trace records the step the kernel was told to make, at the resume, and nothing for the pause itself.
        var commanded = result.Trace.Where(p => p.CommandedStepNs != 0).ToList();
        Assert.Equal(result.Report.Steps, commanded.Count);
        var back = Assert.Single(commanded, p => p.TimeS >= resumeS);
        Assert.InRange(back.TimeS, resumeS, resumeS + 2);
        Assert.InRange(back.CommandedStepNs / 1e9, pauseS * 0.9, pauseS * 1.1); // behind by the pause: stepped forward
    }

    [Fact]
    public void VmPausedNeedsADuration()
    {
        var scenario = ScenarioCatalog.Get("quiet");
        scenario.Events = [new ScenarioEvent { TS = 10, Kind = ScenarioEvent.VmPaused }];
        Assert.Contains(scenario.Validate(), p => p.Contains("vm_paused needs duration_s > 0"));
    }

    private static Scenario WithoutEvents(Scenario s)
    {
        var copy = ScenarioCatalog.Get(s.Name);
        copy.DurationS = s.DurationS;
        copy.Events = [];
        return copy;
    }
}
