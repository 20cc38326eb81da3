using Sync.Daemon.Configuration;
using Sync.Daemon.Pipeline;
using Sync.Filters.Samples;

namespace Sync.Daemon.Tests;

/// <summary>sources:filter reaches the engine's reading reducer, each name its own rule. Fails if a choice is unhooked.</summary>
public sealed class SampleFilterWiringTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("delay-band", ReductionRule.DelayBand)]
    [InlineData("fastest", ReductionRule.Fastest)]
    [InlineData("delay-corrected", ReductionRule.DelayCorrected)]
    public void TheConfiguredFilterIsTheEnginesReduction(string name, ReductionRule expected)
    {
        var path = _dir.File("virtsync.json");
        File.WriteAllText(path, "{}");
        var result = ConfigurationLoader.Load(new ConfigurationInputs
        {
            ConfigPath = path,
            Environment = new Dictionary<string, string?>(),
            Overrides = [new KeyValuePair<string, string?>("sources:filter", name)],
        });
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(expected, result.Options!.ToEngineOptions().Reduction);
    }
}
