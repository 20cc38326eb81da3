using System.Text.RegularExpressions;
using Sync.Clock.Simulation;

namespace Sync.Clock.Tests.Simulation;

public partial class ScenarioDocsTests
{
    private static string ReadDocs()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "docs", "scenarios.md");
            if (File.Exists(path)) return File.ReadAllText(path);
        }
        throw new FileNotFoundException("docs/scenarios.md not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [Fact]
    public void DocumentedExampleLoadsAndEveryBuiltInIsDocumented()
    {
        var docs = ReadDocs();
        var example = JsonBlock().Match(docs);
        Assert.True(example.Success);
        var scenario = ScenarioLoader.Parse(example.Groups[1].Value, "docs example");
        Assert.Equal(4, scenario.Events.Count);
        ScenarioWorld.Create(scenario);
        foreach (var name in ScenarioCatalog.Names) Assert.Contains($"| `{name}` |", docs);
        foreach (var kind in ScenarioEvent.Kinds) Assert.Contains($"| `{kind}` |", docs);
    }
}
