using Sync.Daemon.Configuration;
using Sync.Daemon.Pipeline;
using Sync.Filters.Samples;

namespace Sync.Daemon.Tests;

/// <summary>
/// chrony mode's reading defaults (<see cref="ConfigKeys.Chrony.ModeDefaults"/>): with chrony:enabled and nothing else
/// set, the agent reads 25 samples per reading with the delay-corrected band; whatever the file, the environment or
/// the command line sets wins; without chrony mode nothing changes. Fails if the table is unhooked from the reader,
/// the engine mapping, the docs (docs/chrony.md, docs/operations.md) or status.
/// </summary>
public sealed class ChronyModeDefaultsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private ConfigurationLoadResult Load(string json, IReadOnlyDictionary<string, string?>? environment = null, params (string Key, string Value)[] overrides)
    {
        var path = _dir.File("virtsync.json");
        File.WriteAllText(path, json);
        return ConfigurationLoader.Load(new ConfigurationInputs
        {
            ConfigPath = path,
            Environment = environment ?? new Dictionary<string, string?>(),
            Overrides = overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)).ToList(),
        });
    }

    [Fact]
    public void InChronyModeTheAgentReads25SamplesWithTheDelayCorrectedBand()
    {
        foreach (var result in new[]
                 {
                     Load("{}", null, ("chrony:enabled", "true")),
                     Load("""{ "chrony": { "enabled": true } }"""),
                     Load("{}", new Dictionary<string, string?> { ["VIRTSYNC__CHRONY__ENABLED"] = "true" }),
                 })
        {
            Assert.True(result.IsValid, string.Join("; ", result.Errors));
            var options = result.Options!;
            Assert.Equal(25, options.Sources.SamplesPerReading);
            Assert.Equal(SampleFilterKind.DelayCorrected, options.Sources.Filter);
            Assert.Equal(ReductionRule.DelayCorrected, options.ToEngineOptions().Reduction);
            Assert.Equal("sources:samplesPerReading=25, sources:filter=delay-corrected", ConfigKeys.Chrony.ReadingSummary(options));
        }
    }

    [Fact]
    public void WhatTheOperatorSetsWinsOverTheModeDefault()
    {
        var fromCli = Load("{}", null, ("chrony:enabled", "true"), ("sources:samplesPerReading", "9"), ("sources:filter", "delay-band"));
        var fromFile = Load("""{ "chrony": { "enabled": true }, "sources": { "samplesPerReading": 9, "filter": "delay-band" } }""");
        var fromEnv = Load("""{ "chrony": { "enabled": true } }""", new Dictionary<string, string?>
        {
            ["VIRTSYNC__SOURCES__SAMPLESPERREADING"] = "9",
            ["VIRTSYNC__SOURCES__FILTER"] = "delay-band",
        });
        foreach (var result in new[] { fromCli, fromFile, fromEnv })
        {
            Assert.True(result.IsValid, string.Join("; ", result.Errors));
            Assert.Equal(9, result.Options!.Sources.SamplesPerReading);
            Assert.Equal(SampleFilterKind.DelayBand, result.Options.Sources.Filter);
        }
        // One set, the other still takes its mode default.
        var one = Load("{}", null, ("chrony:enabled", "true"), ("sources:filter", "fastest"));
        Assert.Equal(SampleFilterKind.Fastest, one.Options!.Sources.Filter);
        Assert.Equal(25, one.Options.Sources.SamplesPerReading);
    }

    [Fact]
    public void WithoutChronyModeTheKeysKeepTheirOwnDefaults()
    {
        foreach (var result in new[] { Load("{}"), Load("{}", null, ("chrony:enabled", "false")) })
        {
            Assert.True(result.IsValid, string.Join("; ", result.Errors));
            Assert.Equal(ConfigKeys.Sources.SamplesPerReading.Default, result.Options!.Sources.SamplesPerReading);
            Assert.Equal(ConfigKeys.Sources.Filter.Default, result.Options.Sources.Filter);
        }
        Assert.NotEqual(25, ConfigKeys.Sources.SamplesPerReading.Default);
        Assert.NotEqual(SampleFilterKind.DelayCorrected, ConfigKeys.Sources.Filter.Default);
    }

    [Fact]
    public void EveryModeDefaultIsAValidValueThatDiffersFromTheKeysDefault()
    {
        var chrony = Load("{}", null, ("chrony:enabled", "true"));
        var plain = Load("{}");
        Assert.True(chrony.IsValid, string.Join("; ", chrony.Errors));
        Assert.NotEmpty(ConfigKeys.Chrony.ModeDefaults);
        foreach (var d in ConfigKeys.Chrony.ModeDefaults)
        {
            Assert.Contains(d.Key, ConfigKeys.All);
            Assert.Equal(d.Value, d.Key.ValueIn(chrony.Options!));
            Assert.NotEqual(d.Value, d.Key.ValueIn(plain.Options!));
            Assert.Equal($"{d.Key.DefaultText} (chrony mode: {d.Value})", ConfigKeys.DefaultCell(d.Key));
        }
    }

    /// <summary>docs/chrony.md lists the mode defaults as the table generated here (and docs/operations.md's key table
    /// shows them through <see cref="ConfigKeys.DefaultCell"/>, kept equal by ConfigKeyTableTests).</summary>
    [Fact]
    public void DocsChronyMdListsTheModeDefaults()
    {
        var doc = File.ReadAllText(Path.Combine(ConfigurationTests.RepoRoot(), "docs", "chrony.md"));
        Assert.Contains(ConfigKeys.Chrony.ModeDefaultsTable(), doc);
        var operations = File.ReadAllText(Path.Combine(ConfigurationTests.RepoRoot(), "docs", "operations.md"));
        foreach (var d in ConfigKeys.Chrony.ModeDefaults)
            Assert.Contains($"| {d.Key.Name} | {d.Key.Type} | {ConfigKeys.DefaultCell(d.Key)} |", operations);
    }
}
