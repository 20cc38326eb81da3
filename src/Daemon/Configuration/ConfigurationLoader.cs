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
                // Our own words: the daemon is built with UseSystemResourceKeys, so e.Message would be a raw resource key.
                errors.Add(new ConfigurationError("--config", path, e is UnauthorizedAccessException
                    ? "cannot be read: permission denied; make it readable by the daemon's user"
                    : "cannot be read (I/O error): check the file and its file system"));
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
            return new ConfigurationLoadResult(null, [new ConfigurationError("--config", path,
                "is not valid configuration JSON: use objects of sections holding keys, values as strings, numbers, booleans or arrays")]);
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

    /// <summary>Keys are case-insensitive: "readIntervalSeconds" twice (in any case) is an error, not "the last one wins".</summary>
    private static void CheckDuplicates(JsonElement element, string prefix, List<ConfigurationError> errors)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in element.EnumerateObject())
            {
                var key = prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}";
                if (!seen.Add(property.Name)) errors.Add(new ConfigurationError(key, null, "appears twice in the file: keep one"));
                else CheckDuplicates(property.Value, key, errors);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in element.EnumerateArray()) CheckDuplicates(item, $"{prefix}:{i++}", errors);
        }
    }

    private static void CheckJson(byte[] bytes, string path, List<ConfigurationError> errors)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                errors.Add(new ConfigurationError("--config", path, "must hold a JSON object at the top level"));
            else
                CheckDuplicates(document.RootElement, "", errors);
        }
        catch (JsonException e)
        {
            errors.Add(new ConfigurationError("--config", path, $"is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): fix the syntax"));
        }
    }
}
