using System.Text.Json;

namespace Sync.Clock.Simulation;

/// <summary>Reads and writes scenario JSON; every failure is a <see cref="ScenarioException"/> with a clear message.</summary>
public static class ScenarioLoader
{
    public static Scenario Parse(string json, string source = "scenario")
    {
        Scenario? scenario;
        try
        {
            scenario = JsonSerializer.Deserialize(json, ScenarioJsonContext.Default.Scenario);
        }
        catch (JsonException e)
        {
            throw new ScenarioException($"{source}: invalid scenario JSON: {e.Message}", e);
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
            throw new ScenarioException($"cannot read scenario file '{path}': {e.Message}", e);
        }
        return Parse(json, path);
    }

    public static string ToJson(Scenario scenario) => JsonSerializer.Serialize(scenario, ScenarioJsonContext.Default.Scenario);
}
