using System.Globalization;
using Sync.Filters.Engine;

namespace Sync.Daemon.Modes;

/// <summary>The options of `virtsyncd simulate`, parsed with a message naming what is wrong.</summary>
public sealed record SimulateArguments(string Scenario, double? DurationS, ulong? Seed, string? OutDir, LeapPolicy? LeapPolicy, EstimatorKind? Estimator, bool Realtime = false, string[]? DaemonOptions = null)
{
    public static bool TryParse(IReadOnlyList<string> args, out SimulateArguments parsed, out string problem)
    {
        parsed = new SimulateArguments(SimulateMode.DefaultScenario, null, null, null, null, null);
        problem = "";
        var daemonOptions = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--realtime")
            {
                parsed = parsed with { Realtime = true };
                continue;
            }
            if (name is "--metrics" or "--config" && i + 1 < args.Count)
            {
                daemonOptions.Add(name);
                daemonOptions.Add(args[++i]);
                continue;
            }
            if (name.StartsWith("--", StringComparison.Ordinal) && name.Contains(':'))
            {
                daemonOptions.Add(name);
                continue;
            }
            var value = i + 1 < args.Count ? args[i + 1] : null;
            if (name is "simulate")
                continue;
            if (value is null)
            {
                problem = $"{name} needs a value";
                return false;
            }
            i++;
            switch (name)
            {
                case "--scenario":
                    parsed = parsed with { Scenario = value };
                    break;
                case "--duration":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || d <= 0 || d > 30 * 86_400)
                    {
                        problem = $"--duration {value}: use a number of seconds from 1 to {30 * 86_400}";
                        return false;
                    }
                    parsed = parsed with { DurationS = d };
                    break;
                case "--seed":
                    if (!ulong.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed))
                    {
                        problem = $"--seed {value}: use a whole number from 0 to {ulong.MaxValue}";
                        return false;
                    }
                    parsed = parsed with { Seed = seed };
                    break;
                case "--out":
                    parsed = parsed with { OutDir = value };
                    break;
                case "--leap-policy":
                    if (!Configuration.ConfigNames.TryParse(Configuration.ConfigNames.LeapPolicies, value, out LeapPolicy policy))
                    {
                        problem = $"--leap-policy {value}: use {Configuration.ConfigValues.Alternatives(Configuration.ConfigNames.Names(Configuration.ConfigNames.LeapPolicies))}";
                        return false;
                    }
                    parsed = parsed with { LeapPolicy = policy };
                    break;
                case "--estimator":
                    if (!Configuration.ConfigNames.TryParse(Configuration.ConfigNames.Estimators, value, out EstimatorKind kind))
                    {
                        problem = $"--estimator {value}: use {Configuration.ConfigValues.Alternatives(Configuration.ConfigNames.Names(Configuration.ConfigNames.Estimators))}";
                        return false;
                    }
                    parsed = parsed with { Estimator = kind };
                    break;
                default:
                    problem = $"unknown option {name}";
                    return false;
            }
        }
        parsed = parsed with { DaemonOptions = [.. daemonOptions] };
        return true;
    }
}
