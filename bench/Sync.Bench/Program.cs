using System.Globalization;
using Sync.Bench;
using Sync.Filters.Engine;

// virtsync benchmarks (figures and comparisons; not unit tests).
//   scenarios [NAME...] [--seed N] [--duration S] [--estimator kalman|regression]   virtsync vs phc2sys PI baseline
//   estimators                                                                    Kalman vs regression on synthetic data
//   device                                                                        in-process READ service time
//   fuzz [--cases N] [--seed N]                                                   seeded random virtqueue driver
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
    default:
        Console.Error.WriteLine("usage: Sync.Bench [scenarios [NAME...] [--seed N] [--duration S] [--estimator kalman|regression] | estimators | device | fuzz]");
        return 64;
}
