using System.Globalization;
using Sync.Clock.Simulation;
using Sync.Daemon.Simulation;

namespace Sync.Bench;

/// <summary>What virtsync's published bound was made of at one read (ns): the delay-asymmetry allowance, the
/// estimator's own bound at the last update (model quantile, drift allowance, held-sample doubt; "model") and the
/// offset the controller still had to slew away at that update ("lag"); the rest is the bound's growth since the
/// update and leap ambiguity.</summary>
public readonly record struct BoundParts(double BoundNs, double AsymmetryNs, double ModelNs, double LagNs);

/// <summary>
/// Why a world misses a bound target, so causes are fixed, not worlds (docs/scenarios.md "Why a world misses").
/// A judged sample outside its bound is put in one class by when it happened:
/// <list type="bullet">
/// <item>holdover: the device was gone (from device_removed to its return);</item>
/// <item>event: within the event window after any other event, or after an outage's end;</item>
/// <item>start-up: before the first event and within twice the warm-up (the estimator still learning);</item>
/// <item>steady: anything else.</item>
/// </list>
/// A loose bound (median bound over 4x RMS) is explained by the median share of each part of the bound
/// (<see cref="BoundParts"/>) over the steady samples.
/// </summary>
public static class BoundDiagnosis
{
    public static readonly string[] Classes = ["start-up", "event", "holdover", "steady"];

    /// <summary>Misses per class (in <see cref="Classes"/> order) and the worst |error| / bound in each.</summary>
    public static (long[] Misses, double[] WorstRatio) Misses(Scenario scenario, SimulationResult run)
    {
        var report = run.Report;
        var misses = new long[Classes.Length];
        var worst = new double[Classes.Length];
        var firstEventS = scenario.Events.Select(e => e.TS).DefaultIfEmpty(double.PositiveInfinity).Min();
        foreach (var p in run.Trace)
        {
            if (p.TimeS < report.WarmUpS || p.BoundNs < 0) continue;
            var abs = Math.Abs((double)p.ErrorNs);
            if (abs <= p.BoundNs) continue;
            var c = ClassOf(scenario, p.TimeS, report.WarmUpS, report.EventWindowS, firstEventS);
            misses[c]++;
            worst[c] = Math.Max(worst[c], p.BoundNs > 0 ? abs / p.BoundNs : double.PositiveInfinity);
        }
        return (misses, worst);
    }

    /// <summary>The index in <see cref="Classes"/> of a sample at timeS.</summary>
    public static int ClassOf(Scenario scenario, double timeS, double warmUpS, double windowS, double firstEventS)
    {
        foreach (var e in scenario.Events)
            if (e.Kind == ScenarioEvent.DeviceRemoved && timeS >= e.TS && timeS < e.TS + (e.DurationS ?? 0))
                return 2;
        foreach (var e in scenario.Events)
        {
            var origin = e.Kind is ScenarioEvent.DeviceRemoved or ScenarioEvent.VmPaused ? e.TS + (e.DurationS ?? 0) : e.TS;
            if (timeS >= e.TS && timeS < origin + windowS)
                return 1;
        }
        if (timeS < firstEventS && timeS < 2 * warmUpS)
            return 0;
        return 3;
    }

    /// <summary>The judged samples outside their bound, first max of them: time, error, bound, class.</summary>
    public static IEnumerable<string> MissLines(Scenario scenario, SimulationResult run, int max)
    {
        var report = run.Report;
        var firstEventS = scenario.Events.Select(e => e.TS).DefaultIfEmpty(double.PositiveInfinity).Min();
        return run.Trace.Where(p => p.TimeS >= report.WarmUpS && p.BoundNs >= 0 && Math.Abs((double)p.ErrorNs) > p.BoundNs).Take(max)
            .Select(p => string.Create(CultureInfo.InvariantCulture,
                $"{p.TimeS,9:0.0} s  error {p.ErrorNs,10} ns  bound {p.BoundNs,10} ns  {Classes[ClassOf(scenario, p.TimeS, report.WarmUpS, report.EventWindowS, firstEventS)]}"));
    }

    /// <summary>One line for a world below the coverage target: misses per class, the dominant class first.</summary>
    public static string CoverageLine(Scenario scenario, SimulationResult run)
    {
        var (misses, worst) = Misses(scenario, run);
        var order = Enumerable.Range(0, Classes.Length).Where(i => misses[i] > 0).OrderByDescending(i => misses[i]);
        return string.Join(", ", order.Select(i => $"{Classes[i]} {misses[i]} (worst {worst[i].ToString("0.0#", CultureInfo.InvariantCulture)}x bound)"));
    }

    /// <summary>The dominant class of a world's misses (null: none).</summary>
    public static string? DominantClass(Scenario scenario, SimulationResult run)
    {
        var (misses, _) = Misses(scenario, run);
        var max = misses.Max();
        return max == 0 ? null : Classes[Array.IndexOf(misses, max)];
    }

    /// <summary>Median of each part of the bound over the steady samples, each over the steady RMS.</summary>
    public static (double Bound, double Asymmetry, double Model, double Lag, double Other)? LooseParts(Scenario scenario, SimulationResult run, IReadOnlyList<BoundParts> parts)
    {
        var report = run.Report;
        if (report.RmsOffsetNs is not { } rms || rms <= 0 || parts.Count != run.Trace.Count) return null;
        var windows = ReportCalculator.ExcludedWindows(
            scenario.Events.SelectMany(e => e.Kind == ScenarioEvent.DeviceRemoved
                ? new[] { (e.TS, e.Kind), (e.TS + (e.DurationS ?? 0), "device_returned") }
                : new[] { (e.TS, e.Kind) }).ToList(), report.EventWindowS);
        var steady = new List<BoundParts>();
        for (var i = 0; i < parts.Count; i++)
        {
            var t = run.Trace[i].TimeS;
            if (t < report.WarmUpS || run.Trace[i].BoundNs < 0 || windows.Any(w => t >= w.From && t < w.Until)) continue;
            steady.Add(parts[i]);
        }
        if (steady.Count == 0) return null;
        static double Median(IEnumerable<double> v)
        {
            var s = v.OrderBy(x => x).ToList();
            return s[s.Count / 2];
        }
        return (Median(steady.Select(p => p.BoundNs)) / rms, Median(steady.Select(p => p.AsymmetryNs)) / rms,
            Median(steady.Select(p => p.ModelNs)) / rms, Median(steady.Select(p => p.LagNs)) / rms,
            Median(steady.Select(p => p.BoundNs - p.AsymmetryNs - p.ModelNs - p.LagNs)) / rms);
    }

    /// <summary>The name of the largest part of a bound: asymmetry, model, lag or rest.</summary>
    public static string LargestPart((double Bound, double Asymmetry, double Model, double Lag, double Other) p) =>
        new[] { ("asymmetry", p.Asymmetry), ("model", p.Model), ("lag", p.Lag), ("rest", p.Other) }.OrderByDescending(n => n.Item2).First().Item1;

    /// <summary>A bound's median parts over the RMS and the largest of them.</summary>
    public static string LooseLine((double Bound, double Asymmetry, double Model, double Lag, double Other) p)
    {
        var top = LargestPart(p);
        string F(double x) => x.ToString("0.0", CultureInfo.InvariantCulture);
        return $"bound {F(p.Bound)}x RMS = asymmetry {F(p.Asymmetry)} + model {F(p.Model)} + lag {F(p.Lag)} + rest {F(p.Other)} (largest: {top})";
    }
}
