using System.Globalization;
using Sync.Clock.Simulation;
using Sync.Daemon.Modes;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;

namespace Sync.Bench;

/// <summary>
/// How virtsync follows a served clock's steps and rate changes over many seeds: per seed, the guest's error
/// against the served clock (not true time) around each served rate change: the largest error in the 60 s after
/// it, when it got back within 100 us for good, and the steps the daemon made after the served step settled.
/// </summary>
public static class ServedFaultFollowing
{
    private const double WithinNs = 100_000;

    public static int Run(string scenarioFileOrName, ulong firstSeed, int seeds, double? durationS, double? ratePpm)
    {
        Scenario scenario;
        try
        {
            scenario = SimulateMode.LoadScenario(scenarioFileOrName);
        }
        catch (ScenarioException e)
        {
            Console.Error.WriteLine($"bench follow: {e.Message}");
            return 64;
        }
        if (durationS is { } d) scenario = scenario with { DurationS = d };
        if (ratePpm is { } rate)
            scenario = scenario with
            {
                Events = scenario.Events.Select(e => e.Kind == ScenarioEvent.ServedRate ? new ScenarioEvent { TS = e.TS, Kind = e.Kind, RatePpm = rate } : e).ToList(),
            };
        var steps = scenario.Events.Where(e => e.Kind == ScenarioEvent.ServedStep).Select(e => (e.TS, Ns: e.StepMs!.Value * 1e6)).ToList();
        var rates = scenario.Events.Where(e => e.Kind == ScenarioEvent.ServedRate).Select(e => (e.TS, Ppm: e.RatePpm!.Value)).ToList();
        if (rates.Count == 0)
        {
            Console.Error.WriteLine("the scenario has no served_rate event");
            return 64;
        }
        var rateAtS = rates[0].TS;
        double ServedDeviationNs(double t) =>
            steps.Where(s => s.TS <= t).Sum(s => s.Ns) + rates.Where(r => r.TS <= t).Sum(r => r.Ppm * 1e3 * (t - r.TS));

        Console.WriteLine($"{scenario.Name}: steps/disc: whole run; jumps: error jumps > 60 us after the rate change (steps); served rate {rates[0].Ppm.ToString("+0.###;-0.###", CultureInfo.InvariantCulture)} ppm at {rateAtS} s; error = guest - served clock");
        Console.WriteLine($"{"seed",5} {"pre max us",10} {"max60 us",9} {"back s",7} {"max after us",12} {"steps",5} {"disc",5} {"jumps",5} {"jump us",8}");
        var misses = 0;
        var backTimes = new List<double>();
        var worst = 0.0;
        for (var i = 0; i < seeds; i++)
        {
            var seed = firstSeed + (ulong)i;
            var run = scenario with { Seed = seed };
            var policy = SimulateMode.DefaultLeapPolicy(run);
            var result = SimulationRunner.Run(run, SimulationRunner.Virtsync(new SyncEngineOptions { Leap = policy }), policy);
            var errors = result.Trace.Select(p => (p.TimeS, ErrNs: p.TrueOffsetNs - ServedDeviationNs(p.TimeS))).ToList();
            var pre = errors.Where(e => e.TimeS > rateAtS - 20 && e.TimeS < rateAtS).Select(e => Math.Abs(e.ErrNs)).DefaultIfEmpty().Max();
            var max60 = errors.Where(e => e.TimeS >= rateAtS && e.TimeS < rateAtS + 60).Select(e => Math.Abs(e.ErrNs)).DefaultIfEmpty().Max();
            var lastOut = errors.Where(e => e.TimeS >= rateAtS && Math.Abs(e.ErrNs) > WithinNs).Select(e => e.TimeS).DefaultIfEmpty(rateAtS).Max();
            var back = lastOut - rateAtS;
            var after = errors.Where(e => e.TimeS >= rateAtS).Select(e => Math.Abs(e.ErrNs)).DefaultIfEmpty().Max();
            // Steps after the rate change, seen as jumps of the error between two trace points (a slew moves far less).
            var jumps = errors.Zip(errors.Skip(1)).Where(p => p.First.TimeS >= rateAtS && Math.Abs(p.Second.ErrNs - p.First.ErrNs) > 60_000)
                .Select(p => Math.Abs(p.Second.ErrNs - p.First.ErrNs)).ToList();
            backTimes.Add(back);
            worst = Math.Max(worst, max60);
            if (back > 10) misses++;
            if (Environment.GetEnvironmentVariable("FOLLOW_TRACE") == seed.ToString(CultureInfo.InvariantCulture))
                foreach (var p in result.Trace.Where((p, i) => i % 2 == 0 && p.TimeS >= rateAtS - 35 && p.TimeS < rateAtS + 45))
                    Console.WriteLine($"  t {p.TimeS,6:0.0} err {(p.TrueOffsetNs - ServedDeviationNs(p.TimeS)) / 1e3,9:0.0} us  est {(p.EstimatedOffsetNs ?? 0) / 1e3,9:0.0} us  bound {p.BoundNs / 1e3,8:0.0} {p.State}");
            Console.WriteLine($"{seed,5} {pre / 1e3,10:0.0} {max60 / 1e3,9:0.0} {back,7:0.0} {after / 1e3,12:0.0} {result.Report.Steps,5} {result.Report.Discontinuities,5} {jumps.Count,5} {jumps.DefaultIfEmpty().Max() / 1e3,8:0.0}");
        }
        backTimes.Sort();
        Console.WriteLine($"back within 100 us: median {backTimes[backTimes.Count / 2]:0.0} s, worst {backTimes[^1]:0.0} s; worst error in 60 s {worst / 1e3:0.0} us; {misses}/{seeds} seeds took > 10 s");
        return 0;
    }
}
