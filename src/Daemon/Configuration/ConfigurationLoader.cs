using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Sync.Daemon.Configuration;

/// <summary>
/// Builds the configuration (file, environment, command line) and validates every key. The file is read once
/// into memory: no file provider and no reload watching (a watcher on "/" over 9p hangs; see docs/operations.md).
/// JSON comments and trailing commas are allowed.
/// </summary>
public static class ConfigurationLoader
{
    public const string EnvironmentPrefix = "VIRTSYNC__";

    public static ConfigurationLoadResult Load(ConfigurationInputs inputs)
    {
        var errors = new List<ConfigurationError>();
        var builder = new ConfigurationBuilder();

        var path = inputs.ConfigPath ?? VirtsyncOptions.DefaultConfigPath;
        var explicitPath = inputs.ConfigPath is not null;
        if (File.Exists(path))
        {
            try
            {
                var bytes = File.ReadAllBytes(path);
                CheckJson(bytes, path, errors);
                if (errors.Count == 0) builder.AddJsonStream(new MemoryStream(bytes));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(new ConfigurationError("--config", path, $"cannot be read: {e.Message}"));
            }
        }
        else if (explicitPath)
        {
            errors.Add(new ConfigurationError("--config", path, "does not exist: give the path of a JSON configuration file"));
        }

        builder.AddInMemoryCollection(FromEnvironment(inputs.Environment));
        builder.AddInMemoryCollection(inputs.Overrides);
        if (errors.Count > 0) return new ConfigurationLoadResult(null, errors);

        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or JsonException)
        {
            return new ConfigurationLoadResult(null, [new ConfigurationError("--config", path, $"is not valid configuration JSON: {e.Message}")]);
        }

        var options = OptionsReader.Read(root, errors) with { DryRun = inputs.DryRun };
        return errors.Count == 0 ? new ConfigurationLoadResult(options, []) : new ConfigurationLoadResult(null, errors);
    }

    /// <summary>VIRTSYNC__SOURCES__READINTERVALSECONDS=0.5 becomes sources:readIntervalSeconds = 0.5.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> FromEnvironment(IReadOnlyDictionary<string, string?> environment)
    {
        foreach (var (name, value) in environment)
        {
            if (!name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) || name.Length == EnvironmentPrefix.Length) continue;
            yield return new(name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), value);
        }
    }

    private static void CheckJson(byte[] bytes, string path, List<ConfigurationError> errors)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                errors.Add(new ConfigurationError("--config", path, "must hold a JSON object at the top level"));
        }
        catch (JsonException e)
        {
            errors.Add(new ConfigurationError("--config", path, $"is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): fix the syntax"));
        }
    }
}
