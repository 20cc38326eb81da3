using System.Globalization;
using System.Text;
using System.Text.Json;
using Sync.Clock.Simulation;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;
using Sync.Filters.Time;

namespace Sync.Daemon.Modes;

/// <summary>
/// `virtsyncd simulate [--scenario NAME|FILE.json] [--duration SECONDS] [--seed N] [--out DIR]
/// [--leap-policy kernel|slew|follow-smear] [--estimator kalman|regression] [--realtime [--metrics HOST:PORT]]`: the real pipeline against
/// the simulator, with a progress bar, a final table and, with --out, report.json and samples.csv
/// (docs/scenarios.md, "Output files").
/// </summary>
public static class SimulateMode
{
    public const string DefaultScenario = "virtio-x86";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (!SimulateArguments.TryParse(args, out var arguments, out var problem))
        {
            stderr.WriteLine($"virtsyncd simulate: {problem}");
            stderr.WriteLine("usage: virtsyncd simulate [--scenario NAME|FILE.json] [--duration SECONDS] [--seed N] [--out DIR] [--leap-policy kernel|slew|follow-smear] [--estimator kalman|regression]");
            return 64;
        }

        Scenario scenario;
        try
        {
            scenario = LoadScenario(arguments.Scenario);
        }
        catch (ScenarioException e)
        {
            stderr.WriteLine($"virtsyncd simulate: {e.Message}");
            return 64;
        }
        if (arguments.DurationS is { } duration)
            scenario = scenario with { DurationS = duration };
        if (arguments.Seed is { } seed)
            scenario = scenario with { Seed = seed };

        var policy = arguments.LeapPolicy ?? DefaultLeapPolicy(scenario);
        var options = new SyncEngineOptions { Leap = policy, Estimator = arguments.Estimator ?? new SyncEngineOptions().Estimator };
        stdout.WriteLine($"scenario {scenario.Name}: {scenario.Description}");
        stdout.WriteLine($"seed {scenario.Seed}, {scenario.DurationS:0} s simulated, served clock {scenario.ServedClock}, {scenario.ReadingMode} readings, leap policy {Format(policy)}, estimator {options.Estimator.ToString().ToLowerInvariant()}");

        if (arguments.Realtime)
            return RealtimeSimulation.Run(scenario, options, policy, arguments.DaemonOptions ?? [], stdout, stderr);

        SimulationResult result;
        try
        {
            result = SimulationRunner.Run(scenario, SimulationRunner.Virtsync(options), policy, ProgressBar(stderr));
        }
        catch (ScenarioException e)
        {
            stderr.WriteLine($"virtsyncd simulate: {e.Message}");
            return 64;
        }
        stderr.WriteLine();
        PrintTable(stdout, result.Report);

        if (arguments.OutDir is { } dir)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "report.json"), JsonSerializer.Serialize(result.Report, SimulationReportJson.Default.SimulationReport));
            WriteCsv(Path.Combine(dir, "samples.csv"), result.Trace);
            stdout.WriteLine($"wrote {Path.Combine(dir, "report.json")}, samples.csv");
        }
        return 0;
    }

    /// <summary>Smeared clocks are followed as they smear; everything else has the kernel insert the second.</summary>
    public static LeapPolicy DefaultLeapPolicy(Scenario scenario) =>
        scenario.ServedScale.Scale == TimeScale.UtcSmeared ? LeapPolicy.FollowSmear : LeapPolicy.Kernel;

    public static Scenario LoadScenario(string nameOrFile)
    {
        if (nameOrFile.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrFile))
            return ScenarioLoader.LoadFile(nameOrFile);
        return ScenarioCatalog.Get(nameOrFile);
    }

    public static string Format(LeapPolicy policy) => Configuration.ConfigNames.Name(Configuration.ConfigNames.LeapPolicies, policy);

    private static void PrintTable(TextWriter o, SimulationReport r)
    {
        static string Ns(double? ns) => ns is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) + " ns" : "-";
        o.WriteLine();
        o.WriteLine($"  figures after a {r.WarmUpS:0} s warm-up, {r.EventWindowS:0} s after each event left out (docs/scenarios.md, \"Figures\")");
        o.WriteLine($"  {"converged after",-22} {(r.ConvergeS is { } c ? c.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "never")}");
        o.WriteLine($"  {"mean offset",-22} {Ns(r.MeanOffsetNs)}");
        o.WriteLine($"  {"std deviation",-22} {Ns(r.StdOffsetNs)}");
        o.WriteLine($"  {"RMS offset",-22} {Ns(r.RmsOffsetNs)}");
        o.WriteLine($"  {"max |offset|",-22} {Ns(r.MaxAbsOffsetNs)}");
        o.WriteLine($"  {"median bound",-22} {Ns(r.MedianBoundNs)}");
        o.WriteLine($"  {"bound coverage",-22} {(r.BoundCoverage is { } b ? b.ToString("0.0000", CultureInfo.InvariantCulture) : "-")}");
        o.WriteLine($"  {"coverage in events",-22} {(r.EventBoundCoverage is { } eb ? eb.ToString("0.0000", CultureInfo.InvariantCulture) : "-")}");
        o.WriteLine($"  {"steps",-22} {r.Steps}");
        o.WriteLine($"  {"discontinuities",-22} {r.Discontinuities} ({r.DiscontinuitiesOutsideEvents} outside events)");
        foreach (var e in r.Events)
            o.WriteLine($"  event {e.Kind,-16} at {e.TimeS,8:0.0} s  recovered (within {e.ThresholdNs:0} ns for 60 s) after {(e.RecoveryS is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "never")}");
        o.WriteLine($"  {"kernel TAI offset",-22} {r.KernelTaiOffsetS} s (true TAI - UTC {r.TrueTaiMinusUtcS} s" + (r.ObservedTaiMinusUtcS is { } seen
            ? $", the device shows {seen} s{(r.ObservedTaiMinusUtcDisagreesWithTable ? ", not the leap table's" : "")})" : ")"));
        o.WriteLine($"  {"wall time",-22} {r.WallTimeS:0.00} s");
    }

    private static void WriteCsv(string path, IReadOnlyList<TracePoint> trace)
    {
        var sb = new StringBuilder("t_s,true_offset_ns,bound_ns,estimated_offset_ns,state,served_fault_ns\n");
        foreach (var p in trace)
            sb.Append(CultureInfo.InvariantCulture, $"{p.TimeS:0.000},{p.TrueOffsetNs},{p.BoundNs},{p.EstimatedOffsetNs},{p.State},{p.ServedFaultNs}\n");
        File.WriteAllText(path, sb.ToString());
    }

    private static Action<double> ProgressBar(TextWriter stderr) => fraction =>
    {
        var filled = (int)Math.Round(fraction * 40);
        stderr.Write($"\r  [{new string('#', filled)}{new string('.', 40 - filled)}] {fraction * 100,5:0.0} %");
    };
}
