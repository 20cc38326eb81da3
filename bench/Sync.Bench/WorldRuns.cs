using Sync.Clock.Simulation;
using Sync.Daemon.Modes;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;
using Sync.Filters.Time;

namespace Sync.Bench;

/// <summary>The pipelines of one world, each at the scenario's own cadence, judged by the same <see cref="FigureRules"/>.</summary>
public sealed record WorldRuns(SimulationResult Virtsync, SimulationResult Pi, SimulationResult? Oracle)
{
    /// <summary>Events after which the guest must recover (steps, migrations, rate changes, an outage's end).</summary>
    public static bool IsStepLike(string kind) => kind is ScenarioEvent.ServedStep or ScenarioEvent.GuestStep
        or ScenarioEvent.GuestFreqJump or ScenarioEvent.ServedRate or ScenarioEvent.DeviceRemoved;

    public static WorldRuns Run(Scenario scenario, EstimatorKind? estimator, bool oracle)
    {
        var policy = SimulateMode.DefaultLeapPolicy(scenario);
        var options = new SyncEngineOptions { Leap = policy };
        if (estimator is { } e) options = options with { Estimator = e };
        var ours = SimulationRunner.Run(scenario, SimulationRunner.Virtsync(options), policy);
        var pi = SimulationRunner.Run(scenario, _ => new Phc2sysBaseline(Duration.FromNanoseconds(scenario.PollIntervalNs)), policy);
        SimulationResult? best = null;
        if (oracle)
            best = SimulationRunner.Run(scenario, SimulationRunner.Virtsync(OracleOptions.For(scenario, options)), policy) with { Pipeline = "oracle" };
        return new WorldRuns(ours, pi, best);
    }
}
