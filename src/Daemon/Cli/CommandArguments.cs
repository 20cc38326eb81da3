using Sync.Daemon.Configuration;

namespace Sync.Daemon.Cli;

/// <summary>
/// A parsed command line: the mode, the common options, configuration overrides (--Section:Key=value or
/// --Section:Key value) and whatever the mode parses itself (<see cref="Rest"/>).
/// </summary>
public sealed record CommandArguments
{
    public string Mode { get; init; } = "sync";
    public string? ConfigPath { get; init; }
    public string? Metrics { get; init; }
    public bool DryRun { get; init; }
    public bool Json { get; init; }
    public IReadOnlyList<KeyValuePair<string, string?>> Overrides { get; init; } = [];
    public IReadOnlyList<string> Rest { get; init; } = [];

    /// <summary>Overrides plus the named flags (--metrics) as configuration keys, command line last.</summary>
    public ConfigurationInputs ToConfigurationInputs(IReadOnlyDictionary<string, string?> environment)
    {
        var overrides = new List<KeyValuePair<string, string?>>(Overrides);
        if (Metrics is not null) overrides.Add(new("metrics:listen", Metrics));
        return new ConfigurationInputs { ConfigPath = ConfigPath, Environment = environment, Overrides = overrides, DryRun = DryRun };
    }

    /// <summary>
    /// Parses the arguments after the mode word. With <paramref name="allowOther"/> unknown arguments go to
    /// <see cref="Rest"/> (modes with options of their own); otherwise they are a usage error.
    /// </summary>
    public static bool TryParse(string mode, IReadOnlyList<string> args, bool allowOther, out CommandArguments result, out string? error)
    {
        result = new CommandArguments { Mode = mode };
        error = null;
        var overrides = new List<KeyValuePair<string, string?>>();
        var rest = new List<string>();
        string? config = null, metrics = null;
        bool dryRun = false, json = false;

        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string name = arg, inlineValue = null!;
            bool hasInline = false;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=') is var eq and > 2)
            {
                name = arg[..eq];
                inlineValue = arg[(eq + 1)..];
                hasInline = true;
            }

            string? TakeValue()
            {
                if (hasInline) return inlineValue;
                if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) return args[++i];
                return null;
            }

            switch (name)
            {
                case "--config":
                    config = TakeValue();
                    if (string.IsNullOrEmpty(config)) { error = "--config needs a PATH"; return false; }
                    break;
                case "--metrics":
                    metrics = TakeValue();
                    if (string.IsNullOrEmpty(metrics)) { error = "--metrics needs HOST:PORT, e.g. --metrics 127.0.0.1:10123"; return false; }
                    break;
                case "--dry-run":
                    if (hasInline) { error = "--dry-run takes no value"; return false; }
                    dryRun = true;
                    break;
                case "--json":
                    if (hasInline) { error = "--json takes no value"; return false; }
                    json = true;
                    break;
                default:
                    if (name.StartsWith("--", StringComparison.Ordinal) && name.Contains(':'))
                    {
                        var value = TakeValue();
                        if (value is null) { error = $"{name} needs a value: {name}=VALUE"; return false; }
                        overrides.Add(new(name[2..], value));
                    }
                    else if (allowOther) rest.Add(arg);
                    else { error = $"unknown argument '{arg}' for mode {mode}"; return false; }
                    break;
            }
        }

        result = result with { ConfigPath = config, Metrics = metrics, DryRun = dryRun, Json = json, Overrides = overrides, Rest = rest };
        return true;
    }
}
