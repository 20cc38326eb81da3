using System.Globalization;
using Sync.Bench;
using Sync.Filters.Engine;

// virtsync benchmarks (figures and comparisons; not unit tests).
//   scenarios [NAME|FILE.json...] [--seed N] [--duration S] [--estimator kalman|regression]   virtsync vs the phc2sys PI
//       baseline at the scenario's cadence (default: every built-in); a bad file exits 64 with the reason
//   worlds --count N --seed S [--jobs J] [--only I [--trace FROM:TO]] [--dump DIR] [--quiet] [--estimator kalman|regression]
//       N random worlds (docs/scenarios.md "Random worlds"): virtsync vs the same-cadence PI and the oracle, distributions and targets,
//       why each world misses a bound target; --trace prints world I's trace (error, bound and its parts) from FROM to TO s
//   follow [SCENARIO.json|NAME (rate-change)] [--seed N] [--seeds K] [--duration S] [--rate PPM]  following a served step + rate change, per seed
//   estimators                                                                    Kalman vs regression on synthetic data
//   device                                                                        in-process READ service time
//   fuzz [--cases N] [--seed N]                                                   seeded random virtqueue driver
//   serve-load [--connections N] [--rate R] [--seconds S] [--churn N] [--serve-binary PATH] [--warmup S] [--baseline S] [--realtime PRIO]
//       `virtsyncd serve` under N VMs of its own vhost-user client: served/refused, latencies, serve's CPU/RSS, churn, SIGTERM;
//       first the same load against an echo thread (--baseline S, 0 = skip): what the machine's wake-ups alone cost
var mode = args.Length > 0 ? args[0] : "scenarios";
var rest = args.Skip(1).ToList();
string? Option(string name)
{
    var i = rest.IndexOf(name);
    if (i < 0 || i + 1 >= rest.Count) return null;
    var value = rest[i + 1];
    rest.RemoveRange(i, 2);
    return value;
}

switch (mode)
{
    case "scenarios":
        var seed = Option("--seed") is { } s ? ulong.Parse(s, CultureInfo.InvariantCulture) : (ulong?)null;
        var duration = Option("--duration") is { } d ? double.Parse(d, CultureInfo.InvariantCulture) : (double?)null;
        var estimator = Option("--estimator") switch { "kalman" => EstimatorKind.Kalman, "regression" => EstimatorKind.Regression, _ => (EstimatorKind?)null };
        return ScenarioComparison.Run(rest, seed, duration, estimator);
    case "worlds":
        int count = 300, jobs = Environment.ProcessorCount;
        ulong worldSeed = 1;
        int? only = null;
        (double, double)? trace = null;
        try
        {
            if (Option("--count") is { } wc) count = int.Parse(wc, CultureInfo.InvariantCulture);
            if (Option("--seed") is { } ws) worldSeed = ulong.Parse(ws, CultureInfo.InvariantCulture);
            if (Option("--jobs") is { } wj) jobs = int.Parse(wj, CultureInfo.InvariantCulture);
            if (Option("--only") is { } wo) only = int.Parse(wo, CultureInfo.InvariantCulture);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"bench worlds: {e.Message} (--count, --seed, --jobs and --only take whole numbers)");
            return 64;
        }
        if (Option("--trace") is { } wt)
        {
            var span = wt.Split(':');
            if (only is null || span.Length != 2 || !double.TryParse(span[0], CultureInfo.InvariantCulture, out var fromS)
                || !double.TryParse(span[1], CultureInfo.InvariantCulture, out var toS) || !(toS >= fromS))
            {
                Console.Error.WriteLine($"bench worlds: --trace {wt}: give FROM:TO in seconds (FROM <= TO), with --only I");
                return 64;
            }
            trace = (fromS, toS);
        }
        var dump = Option("--dump");
        var worldEstimator = Option("--estimator") switch { "kalman" => EstimatorKind.Kalman, "regression" => EstimatorKind.Regression, _ => (EstimatorKind?)null };
        var quiet = rest.Remove("--quiet");
        if (rest.Count > 0)
        {
            Console.Error.WriteLine($"bench worlds: unknown argument(s) {string.Join(" ", rest)}; usage: worlds --count N --seed S [--jobs J] [--only I [--trace FROM:TO]] [--dump DIR] [--quiet]");
            return 64;
        }
        return WorldsBenchmark.Run(count, worldSeed, jobs, only, dump, quiet, worldEstimator, trace);
    case "follow":
        var followSeed = Option("--seed") is { } fsd ? ulong.Parse(fsd, CultureInfo.InvariantCulture) : 1;
        var followSeeds = Option("--seeds") is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 20;
        var followDuration = Option("--duration") is { } fd ? double.Parse(fd, CultureInfo.InvariantCulture) : (double?)null;
        var followRate = Option("--rate") is { } fr ? double.Parse(fr, CultureInfo.InvariantCulture) : (double?)null;
        return ServedFaultFollowing.Run(rest.Count > 0 ? rest[0] : "rate-change", followSeed, followSeeds, followDuration, followRate);
    case "estimators":
        EstimatorComparison.Run();
        return 0;
    case "device":
        DeviceReadBenchmark.Run();
        return 0;
    case "fuzz":
        var cases = Option("--cases") is { } c ? long.Parse(c, CultureInfo.InvariantCulture) : 1_000_000;
        var fuzzSeed = Option("--seed") is { } fs ? int.Parse(fs, CultureInfo.InvariantCulture) : 1;
        return VirtqueueFuzz.Run(cases, fuzzSeed);
    case "serve-load":
        var loadConnections = Option("--connections") is { } lc ? int.Parse(lc, CultureInfo.InvariantCulture) : 1000;
        var loadRate = Option("--rate") is { } lr ? double.Parse(lr, CultureInfo.InvariantCulture) : 10;
        var loadSeconds = Option("--seconds") is { } ls ? double.Parse(ls, CultureInfo.InvariantCulture) : 60;
        var loadChurn = Option("--churn") is { } lch ? int.Parse(lch, CultureInfo.InvariantCulture) : 0;
        var loadWarmup = Option("--warmup") is { } lw ? double.Parse(lw, CultureInfo.InvariantCulture) : 5;
        var loadBaseline = Option("--baseline") is { } lb ? double.Parse(lb, CultureInfo.InvariantCulture) : 20;
        var loadRealtime = Option("--realtime") is { } lrt ? int.Parse(lrt, CultureInfo.InvariantCulture) : 0;
        return ServeLoad.Run(loadConnections, loadRate, loadSeconds, loadChurn, Option("--serve-binary"), loadWarmup, loadBaseline, loadRealtime);
    default:
        Console.Error.WriteLine("usage: Sync.Bench [scenarios [NAME...] [--seed N] [--duration S] [--estimator kalman|regression] | estimators | device | fuzz | serve-load [--connections N] [--rate R] [--seconds S] [--churn N] [--serve-binary PATH] [--warmup S] [--baseline S] [--realtime PRIO]]");
        return 64;
}
