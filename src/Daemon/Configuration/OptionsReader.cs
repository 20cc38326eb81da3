using Microsoft.Extensions.Configuration;

namespace Sync.Daemon.Configuration;

/// <summary>
/// Reads and validates every key of <see cref="ConfigKeys.All"/> (AOT-safe, no binder): each message names the key,
/// the value and what is allowed, e.g. "sources:samplesPerReading = 40 is out of range: use 1..25". Unknown keys
/// are errors too, with the nearest known key, so a typo never silently falls back to a default.
/// </summary>
internal static class OptionsReader
{
    public static VirtsyncOptions Read(IConfiguration config, List<ConfigurationError> errors)
    {
        CheckUnknownKeys(config, errors);
        var options = new VirtsyncOptions();
        foreach (var key in ConfigKeys.All) options = key.Read(config, options, errors);
        return ConfigKeys.Chrony.ApplyModeDefaults(config, options, errors);
    }

    private static void CheckUnknownKeys(IConfiguration config, List<ConfigurationError> errors)
    {
        foreach (var (key, value) in config.AsEnumerable())
        {
            if (value is null) continue; // a section, not a leaf
            if (ConfigKeys.Find(key) is not null) continue;
            errors.Add(new ConfigurationError(key, null, $"is not a known key: {UnknownKeyHint(key)}"));
        }
    }

    /// <summary>The nearest key (a typo), else the keys of that section, else the sections.</summary>
    internal static string UnknownKeyHint(string key)
    {
        var names = ConfigKeys.All.Select(k => k.Name).ToList();
        var nearest = ConfigValues.Nearest(key, names);
        var section = key.Split(':')[0];
        var inSection = names.Where(k => k.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)).ToList();
        var listing = inSection.Count > 0
            ? $"the {inSection[0].Split(':')[0]} keys are {string.Join(", ", inSection)}"
            : $"sections are {string.Join(", ", ConfigKeys.Sections)}";
        return nearest is not null ? $"did you mean {nearest}? ({listing})" : $"use one of the keys in docs/operations.md; {listing}";
    }
}
