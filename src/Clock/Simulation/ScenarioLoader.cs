using System.Text.Json;

namespace Sync.Clock.Simulation;

/// <summary>Reads and writes scenario JSON; every failure is a <see cref="ScenarioException"/> with a clear message.</summary>
public static class ScenarioLoader
{
    public static Scenario Parse(string json, string source = "scenario")
    {
        // Our own check first: the serializer's messages are resource keys in the AOT build.
        var shape = ScenarioJsonCheck.Problems(json);
        if (shape.Count > 0)
            throw new ScenarioException($"{source}: invalid scenario: {string.Join("; ", shape)}");
        Scenario? scenario;
        try
        {
            scenario = JsonSerializer.Deserialize(json, ScenarioJsonContext.Default.Scenario);
        }
        catch (JsonException e)
        {
            // Not expected after the check; still no framework text (a resource key under AOT), only where.
            throw new ScenarioException($"{source}: invalid scenario: the value at {e.Path ?? "$"} (line {e.LineNumber + 1}) does not fit its field; see docs/scenarios.md for each field's type", e);
        }
        if (scenario is null) throw new ScenarioException($"{source}: the file holds null, not a scenario object");
        var problems = scenario.Validate();
        if (problems.Count > 0)
            throw new ScenarioException($"{source}: invalid scenario: {string.Join("; ", problems)}");
        return scenario;
    }

    public static Scenario LoadFile(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ScenarioException($"cannot read scenario file '{path}': {Reason(e)}", e);
        }
        return Parse(json, path);
    }

    /// <summary>Why a file cannot be read, in our words (framework messages are resource keys in the AOT build).</summary>
    private static string Reason(Exception e) => e switch
    {
        FileNotFoundException => "no such file (give a scenario name or the path of a .json scenario file)",
        DirectoryNotFoundException => "its directory does not exist",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "the path is too long",
        ArgumentException or NotSupportedException => "not a valid path",
        IOException io when io.HResult != 0 => $"I/O error {io.HResult & 0xFFFF}",
        _ => "I/O error",
    };

    public static string ToJson(Scenario scenario) => JsonSerializer.Serialize(scenario, ScenarioJsonContext.Default.Scenario);
}
