using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Sync.Clock.Simulation;

/// <summary>
/// Checks scenario JSON before it is deserialized and says what is wrong in words: the field (by its path), what is
/// allowed there and the nearest valid name. The field names come from the loader's own source-generated metadata
/// (<see cref="ScenarioJsonContext"/>), so this table cannot drift from what the loader accepts. Needed because the
/// serializer's own messages are resource keys in the AOT build (UseSystemResourceKeys: "UnmappedJsonProperty,
/// oscilator, Sync.Clock.Simulation.Scenario").
/// </summary>
public static class ScenarioJsonCheck
{
    private const int MaxProblems = 10;

    /// <summary>Fields that were renamed, by their path: a file with the old name is told the new one.</summary>
    public static readonly IReadOnlyDictionary<string, string> RenamedFields = new Dictionary<string, string>
    {
        // One word for the time between readings everywhere (sources:readIntervalSeconds, the engine's ReadInterval).
        ["poll_interval_s"] = "read_interval_s",
    };
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Every problem found (at most 10), each a sentence naming the field; empty when the JSON fits the scenario types.</summary>
    public static IReadOnlyList<string> Problems(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            return [SyntaxProblem(json, e)];
        }
        using (document)
        {
            var problems = new List<string>();
            Check(document.RootElement, ScenarioJsonContext.Default.Scenario, "", problems);
            return problems;
        }
    }

    /// <summary>The field names allowed in an object of this scenario type, as the loader spells them.</summary>
    public static IReadOnlyList<string> FieldNames(Type type) =>
        [.. ScenarioJsonContext.Default.GetTypeInfo(type)!.Properties.Where(p => p.Set is not null).Select(p => p.Name)];

    private static void Check(JsonElement element, JsonTypeInfo type, string path, List<string> problems)
    {
        if (problems.Count >= MaxProblems) return;
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{Where(path)} must be an object {{ ... }}, not {Describe(element)}");
            return;
        }
        var fields = type.Properties.Where(p => p.Set is not null).ToList();
        var lastUnknown = -1;
        foreach (var property in element.EnumerateObject())
        {
            if (problems.Count >= MaxProblems) return;
            var field = fields.FirstOrDefault(f => f.Name == property.Name);
            var at = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
            if (field is null && RenamedFields.TryGetValue(at, out var renamed))
            {
                problems.Add($"field \"{at}\" is now called \"{renamed}\" (same meaning and unit): rename it in the file");
                continue;
            }
            if (field is null)
            {
                var names = fields.Select(f => f.Name).ToList();
                var nearest = Nearest(property.Name, names);
                problems.Add($"unknown field \"{at}\"" + (nearest is null ? "" : $" (did you mean \"{(path.Length == 0 ? nearest : $"{path}.{nearest}")}\"?)"));
                lastUnknown = problems.Count - 1;
                continue;
            }
            CheckValue(property.Value, field.PropertyType, at, problems);
        }
        // The allowed fields once per object, after its last unknown one.
        if (lastUnknown >= 0)
            problems[lastUnknown] += $"; the fields {(path.Length == 0 ? "at the top level" : $"of {path}")} are: {string.Join(", ", fields.Select(f => f.Name))}";
    }

    private static void CheckValue(JsonElement value, Type type, string path, List<string> problems)
    {
        var nullable = Nullable.GetUnderlyingType(type);
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (nullable is null && type.IsValueType)
                problems.Add($"\"{path}\" must be {Expected(type)}, not null");
            return; // null objects and strings are reported by the scenario's own validation, with what is allowed
        }
        type = nullable ?? type;
        if (type == typeof(double))
        {
            if (value.ValueKind != JsonValueKind.Number) problems.Add($"\"{path}\" must be a number, not {Describe(value)}");
            else if (!value.TryGetDouble(out var number) || !double.IsFinite(number)) problems.Add($"\"{path}\" is {Describe(value)}, too large for a number");
        }
        else if (type == typeof(int) || type == typeof(long) || type == typeof(ulong))
        {
            var ok = value.ValueKind == JsonValueKind.Number && (type == typeof(int) ? value.TryGetInt32(out _) : type == typeof(long) ? value.TryGetInt64(out _) : value.TryGetUInt64(out _));
            if (!ok) problems.Add($"\"{path}\" must be {Expected(type)}, not {Describe(value)}");
        }
        else if (type == typeof(string))
        {
            if (value.ValueKind != JsonValueKind.String) problems.Add($"\"{path}\" must be a string in quotes, not {Describe(value)}");
        }
        else if (type == typeof(bool))
        {
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) problems.Add($"\"{path}\" must be true or false, not {Describe(value)}");
        }
        else if (ScenarioJsonContext.Default.GetTypeInfo(type) is { Kind: JsonTypeInfoKind.Enumerable, ElementType: { } item })
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                problems.Add($"\"{path}\" must be a list [ ... ], not {Describe(value)}");
                return;
            }
            var i = 0;
            foreach (var entry in value.EnumerateArray())
                CheckValue(entry, item, $"{path}[{i++}]", problems);
        }
        else if (ScenarioJsonContext.Default.GetTypeInfo(type) is { Kind: JsonTypeInfoKind.Object } info)
        {
            Check(value, info, path, problems);
        }
    }

    private static string Expected(Type type) =>
        type == typeof(int) ? "a whole number" : type == typeof(ulong) ? "a whole number from 0 to 18446744073709551615"
        : type == typeof(long) ? "a whole number" : type == typeof(double) ? "a number" : "a value";

    private static string Where(string path) => path.Length == 0 ? "the scenario" : $"\"{path}\"";

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string {Shorten(value.GetRawText())}",
        JsonValueKind.Number => $"the number {Shorten(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";

    /// <summary>Where the syntax breaks, with the line and a caret; never the serializer's message.</summary>
    private static string SyntaxProblem(string json, JsonException e)
    {
        var lineIndex = (int)(e.LineNumber ?? 0);
        var lines = json.Split('\n');
        var line = lineIndex < lines.Length ? lines[lineIndex].TrimEnd('\r') : "";
        // BytePositionInLine counts UTF-8 bytes; turn it into a character column.
        var bytes = (int)(e.BytePositionInLine ?? 0);
        var column = 0;
        for (var used = 0; column < line.Length && used < bytes; column++) used += Encoding.UTF8.GetByteCount(line[column].ToString());
        var offset = lines.Take(lineIndex).Sum(l => l.Length + 1) + column;
        var atEnd = offset >= json.TrimEnd().Length;
        var hint = json.Trim().Length == 0 ? "the file is empty; a scenario is a JSON object { \"name\": ..., ... }"
            : atEnd ? "the text ends too early: a closing } or ] or \" is missing"
            : column < line.Length ? $"unexpected '{line[column]}': look for a missing comma, colon, quote or bracket just before it"
            : "unexpected end of line: look for a missing comma, quote or bracket";
        var excerpt = line.Length > 100 ? line[..100] + "..." : line;
        return $"not valid JSON at line {lineIndex + 1}, column {column + 1}: {hint}\n    {excerpt}\n    {new string(' ', Math.Min(column, 100))}^";
    }

    /// <summary>The candidate closest to name (edit distance, ignoring case and '_'), if it is close enough to be a typo.</summary>
    public static string? Nearest(string name, IEnumerable<string> candidates)
    {
        static string Fold(string s) => s.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        var folded = Fold(name);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = Distance(folded, Fold(candidate));
            if (d < bestDistance) (best, bestDistance) = (candidate, d);
        }
        return best is not null && bestDistance <= Math.Max(2, folded.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
