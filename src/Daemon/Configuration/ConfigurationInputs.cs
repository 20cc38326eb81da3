namespace Sync.Daemon.Configuration;

/// <summary>
/// Where configuration comes from, lowest precedence first: the JSON file (ConfigPath, or the default path if it
/// exists), environment variables VIRTSYNC__SECTION__KEY, then command-line overrides (Section:Key = value).
/// </summary>
public sealed record ConfigurationInputs
{
    /// <summary>--config PATH; null = <see cref="VirtsyncOptions.DefaultConfigPath"/> when that file exists.</summary>
    public string? ConfigPath { get; init; }
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
    public IReadOnlyList<KeyValuePair<string, string?>> Overrides { get; init; } = [];
    public bool DryRun { get; init; }

    /// <summary>The process environment, as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string?> ProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
            result[(string)entry.Key] = entry.Value as string;
        return result;
    }
}
