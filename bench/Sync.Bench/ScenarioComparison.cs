using System.Globalization;
using Sync.Clock.Simulation;
using Sync.Daemon.Modes;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;

namespace Sync.Bench;

/// <summary>
/// Every scenario, virtsync against the phc2sys-style PI baseline on the same seed and the same simulated
/// world, with the ratios the targets are stated in.
/// </summary>
public static class ScenarioComparison
{
    public static int Run(IReadOnlyList<string> scenarios, ulong? seed, double? durationS, EstimatorKind? estimator)
    {
        // The report measures the guest against true time: a scenario whose served clock steps or changes rate on
        // purpose (rate-change) is judged against the served clock by `follow` instead, unless named here.
        var names = scenarios.Count > 0 ? scenarios : ScenarioCatalog.All
            .Where(s => !s.Events.Any(e => e.Kind is ScenarioEvent.ServedStep or ScenarioEvent.ServedRate))
            .Select(s => s.Name).ToList();
        Console.WriteLine($"{"scenario",-20} {"pipeline",-11} {"conv s",7} {"RMS ns",10} {"max ns",11} {"bound ns",9} {"cover",7} {"steps",5} {"recov s",8} {"wall s",6}");
        var failures = 0;
        foreach (var name in names)
        {
            var scenario = ScenarioCatalog.Get(name);
            if (seed is { } s) scenario = scenario with { Seed = s };
            if (durationS is { } d) scenario = scenario with { DurationS = d };
            var policy = SimulateMode.DefaultLeapPolicy(scenario);
            var options = new SyncEngineOptions { Leap = policy };
            if (estimator is { } e) options = options with { Estimator = e };

            var ours = SimulationRunner.Run(scenario, SimulationRunner.Virtsync(options), policy).Report;
            var baselineRun = SimulationRunner.Run(scenario, _ => new Phc2sysBaseline(), policy);
            var baseline = baselineRun.Report;
            if (baseline.ConvergeS is null && ours.ConvergeS is { } from)
            {
                // The baseline never stays under 1 us, so it has no "after convergence" figures: judge it over
                // the same span as virtsync instead (from virtsync's convergence on), marked with a '*'.
                var span = baselineRun.Trace.Where(p => p.TimeS >= from).Select(p => Math.Abs((double)p.TrueOffsetNs)).ToList();
                if (span.Count > 0)
                    baseline = baseline with { RmsOffsetNs = Math.Sqrt(span.Average(x => x * x)), MaxAbsOffsetNs = span.Max() };
            }
            Print(name, "virtsync", ours);
            Print(name, baselineRun.Report.ConvergeS is null && baseline.RmsOffsetNs is not null ? "phc2sys-pi*" : "phc2sys-pi", baseline);

            var rmsRatio = Ratio(ours.RmsOffsetNs, baseline.RmsOffsetNs);
            var maxRatio = Ratio(ours.MaxAbsOffsetNs, baseline.MaxAbsOffsetNs);
            var boundRatio = Ratio(ours.MedianBoundNs, ours.RmsOffsetNs);
            var verdicts = new List<string>
            {
                Verdict("RMS <= 0.5x", rmsRatio is { } r && r <= 0.5),
                Verdict("max <= 1x", maxRatio is { } m && m <= 1),
                Verdict("coverage >= 0.999", ours.BoundCoverage is { } c && c >= 0.999),
            };
            // A clock that may step or smear cannot be pinned down inside the leap window: there the issue asks for
            // a bound that widens to cover the ambiguity (coverage above), not for a tight one.
            if (policy != LeapPolicy.Kernel || ScenarioCatalog.Get(name).ServedClock != "utc-maybe-smeared")
                verdicts.Add(Verdict("bound <= 4x RMS", boundRatio is { } b && b <= 4));
            if (name == "chrony-106")
            {
                verdicts.Add(Verdict("max < 100 ns", ours.MaxAbsOffsetNs is { } mx && mx < 100));
                verdicts.Add(Verdict("RMS < 10 ns", ours.RmsOffsetNs is { } rm && rm < 10));
            }
            if (name == "migration")
                verdicts.Add(Verdict("recovery < 60 s", ours.Events.Count > 0 && ours.Events.All(ev => ev.RecoveryS is { } rs && rs < 60)));
            failures += verdicts.Count(v => v.StartsWith("FAIL", StringComparison.Ordinal));
            Console.WriteLine($"{"",-20} {"ratio",-11} RMS {Format(rmsRatio)}  max {Format(maxRatio)}  bound/RMS {Format(boundRatio)}   {string.Join("  ", verdicts)}");
        }
        Console.WriteLine("phc2sys-pi*: the baseline never stayed under 1 us; its RMS and max are taken from virtsync's convergence on.");
        Console.WriteLine(failures == 0 ? "all targets met" : $"{failures} target(s) missed");
        return failures == 0 ? 0 : 1;
    }

    private static void Print(string scenario, string pipeline, SimulationReport r)
    {
        static string N(double? v, string f) => v is { } x ? x.ToString(f, CultureInfo.InvariantCulture) : "-";
        var recovery = r.Events.Count == 0 ? "-" : string.Join("/", r.Events.Select(e => N(e.RecoveryS, "0.0")));
        Console.WriteLine($"{scenario,-20} {pipeline,-11} {N(r.ConvergeS, "0.0"),7} {N(r.RmsOffsetNs, "0.0"),10} {N(r.MaxAbsOffsetNs, "0"),11} {N(r.MedianBoundNs, "0"),9} {N(r.BoundCoverage, "0.0000"),7} {r.Steps,5} {recovery,8} {r.WallTimeS,6:0.0}");
    }

    private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;
    private static string Format(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "-";
    private static string Verdict(string what, bool ok) => (ok ? "ok " : "FAIL ") + what;
}
