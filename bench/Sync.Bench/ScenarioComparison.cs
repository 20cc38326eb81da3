using System.Globalization;
using Sync.Clock.Simulation;
using Sync.Daemon.Modes;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;

namespace Sync.Bench;

/// <summary>
/// Scenarios (built-in names or scenario files), virtsync against the phc2sys-style PI baseline at the scenario's
/// own cadence, on the same seed and the same simulated world, with the figures of <see cref="FigureRules"/>
/// and the ratios the targets are stated in.
/// </summary>
public static class ScenarioComparison
{
    public static int Run(IReadOnlyList<string> scenarios, ulong? seed, double? durationS, EstimatorKind? estimator)
    {
        var names = scenarios.Count > 0 ? scenarios : ScenarioCatalog.Names;
        // Load every scenario first: a bad file is a usage error (64) before anything runs.
        var loaded = new List<Scenario>();
        foreach (var name in names)
        {
            try
            {
                var scenario = SimulateMode.LoadScenario(name);
                if (seed is { } s) scenario = scenario with { Seed = s };
                if (durationS is { } d) scenario = scenario with { DurationS = d };
                ScenarioWorld.Create(scenario); // events that cannot happen (a leap off midnight) fail here, not mid-run
                loaded.Add(scenario);
            }
            catch (ScenarioException e)
            {
                Console.Error.WriteLine($"bench scenarios: {e.Message}");
                return 64;
            }
        }

        Console.WriteLine("Figures (docs/scenarios.md, \"Figures\"): error = guest - served clock, after the warm-up, outside event windows.");
        Console.WriteLine($"{"scenario",-20} {"pipeline",-11} {"conv s",7} {"mean ns",9} {"std ns",9} {"RMS ns",9} {"max ns",10} {"bound ns",9} {"cover",7} {"steps",5} {"recov s",10} {"wall s",6}");
        var failures = 0;
        foreach (var scenario in loaded)
        {
            var runs = WorldRuns.Run(scenario, estimator, oracle: false);
            var ours = runs.Virtsync.Report;
            var pi = runs.Pi.Report;
            Print(scenario.Name, "virtsync", ours);
            Print(scenario.Name, "phc2sys-pi", pi);

            var stdRatio = Ratio(ours.StdOffsetNs, pi.StdOffsetNs);
            var rmsRatio = Ratio(ours.RmsOffsetNs, pi.RmsOffsetNs);
            var verdicts = new List<string>
            {
                Verdict("std <= 0.5x PI", stdRatio is { } r && r <= 0.5),
                Verdict("coverage >= 0.999", ours.BoundCoverage is { } c && c >= 0.999),
                Verdict("recovered <= 60 s", ours.Events.Where(e => WorldRuns.IsStepLike(e.Kind)).All(e => e.RecoveryS is { } rs && rs <= 60)),
                Verdict("no step policy does not allow", WorldsBenchmark.StepsPolicyDoesNotAllow(scenario, runs.Virtsync.Trace).Count == 0),
            };
            // A clock that may step or smear cannot be pinned down inside the leap window: there the issue asks for
            // a bound that widens to cover the ambiguity (coverage above), not for a tight one.
            if (scenario.ServedScale.Scale != Sync.Filters.Time.TimeScale.UtcMaybeSmeared)
                verdicts.Add(Verdict("bound <= 4x RMS", ours.MedianBoundOverRms is { } b && b <= 4));
            if (scenario.Name == "chrony-106")
            {
                verdicts.Add(Verdict("max < 100 ns", ours.MaxAbsOffsetNs is { } mx && mx < 100));
                verdicts.Add(Verdict("RMS < 10 ns", ours.RmsOffsetNs is { } rm && rm < 10));
            }
            failures += verdicts.Count(v => v.StartsWith("FAIL", StringComparison.Ordinal));
            Console.WriteLine($"{"",-20} {"ratio",-11} std {Format(stdRatio)}  RMS {Format(rmsRatio)}  bound/RMS {Format(ours.MedianBoundOverRms)}   {string.Join("  ", verdicts)}");
        }
        Console.WriteLine(failures == 0 ? "all targets met" : $"{failures} target(s) missed");
        return failures == 0 ? 0 : 1;
    }

    internal static void Print(string scenario, string pipeline, SimulationReport r)
    {
        static string N(double? v, string f) => v is { } x ? x.ToString(f, CultureInfo.InvariantCulture) : "-";
        var recovery = r.Events.Count == 0 ? "-" : string.Join("/", r.Events.Select(e => N(e.RecoveryS, "0.0")));
        Console.WriteLine($"{scenario,-20} {pipeline,-11} {N(r.ConvergeS, "0.0"),7} {N(r.MeanOffsetNs, "0.0"),9} {N(r.StdOffsetNs, "0.0"),9} {N(r.RmsOffsetNs, "0.0"),9} {N(r.MaxAbsOffsetNs, "0"),10} {N(r.MedianBoundNs, "0"),9} {N(r.BoundCoverage, "0.0000"),7} {r.Steps,5} {recovery,10} {r.WallTimeS,6:0.0}");
    }

    internal static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;
    internal static string Format(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "-";
    private static string Verdict(string what, bool ok) => (ok ? "ok " : "FAIL ") + what;
}
