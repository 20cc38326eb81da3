using Sync.Clock.Simulation;
using Sync.Daemon.Modes;
using Sync.Daemon.Pipeline;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;
using Sync.Filters.Time;

namespace Sync.Bench;

/// <summary>The pipelines of one world, each at the scenario's own cadence, judged by the same <see cref="FigureRules"/>.</summary>
public sealed record WorldRuns(SimulationResult Virtsync, SimulationResult Pi, SimulationResult? Oracle)
{
    /// <summary>virtsync's bound taken apart at every trace point (same count as its trace), for <see cref="BoundDiagnosis"/>.</summary>
    public IReadOnlyList<BoundParts> VirtsyncParts { get; init; } = [];

    /// <summary>Events after which the guest must recover (steps, migrations, rate changes, an outage's end).</summary>
    public static bool IsStepLike(string kind) => kind is ScenarioEvent.ServedStep or ScenarioEvent.GuestStep
        or ScenarioEvent.GuestFreqJump or ScenarioEvent.ServedRate or ScenarioEvent.DeviceRemoved;

    public static WorldRuns Run(Scenario scenario, EstimatorKind? estimator, bool oracle)
    {
        var policy = SimulateMode.DefaultLeapPolicy(scenario);
        var options = new SyncEngineOptions { Leap = policy };
        if (estimator is { } e) options = options with { Estimator = e };
        EnginePipeline? engine = null;
        var parts = new List<BoundParts>();
        var ours = SimulationRunner.Run(scenario, world => engine = (EnginePipeline)SimulationRunner.Virtsync(options)(world), policy,
            onSnapshot: s => parts.Add(Parts(engine!, s.At)));
        var pi = SimulationRunner.Run(scenario, _ => new Phc2sysBaseline(Duration.FromNanoseconds(scenario.ReadIntervalNs)), policy);
        SimulationResult? best = null;
        if (oracle)
            best = SimulationRunner.Run(scenario, SimulationRunner.Virtsync(OracleOptions.For(scenario, options)), policy) with { Pipeline = "oracle" };
        return new WorldRuns(ours, pi, best) { VirtsyncParts = parts };
    }

    private static BoundParts Parts(EnginePipeline pipeline, Instant<Utc> at)
    {
        var engine = pipeline.Engine;
        var estimate = engine.LastEstimate;
        var asymmetry = engine.AsymmetryError.Nanoseconds;
        // The last update's estimate: its bound less the engine's allowance is the estimator's own (model, drift).
        return new BoundParts(engine.CurrentBound(at).Nanoseconds, asymmetry,
            estimate is null ? 0 : Math.Max(0, estimate.ErrorBound.Nanoseconds - asymmetry), estimate is null ? 0 : Math.Abs(estimate.Offset.Nanoseconds));
    }
}
