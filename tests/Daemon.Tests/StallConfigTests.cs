using Sync.Daemon.Configuration;
using Sync.Daemon.Pipeline;
using Sync.Filters.Engine;

namespace Sync.Daemon.Tests;

/// <summary>sources:stalledWindowRatio and sources:stalledRunLimit reach the engine's delay test.</summary>
public class StallConfigTests
{
    private static ConfigurationLoadResult Load(params (string Key, string Value)[] overrides) =>
        ConfigurationLoader.Load(new ConfigurationInputs
        {
            Overrides = overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)).ToList(),
        });

    [Fact]
    public void TheStallKeysReachTheEngine()
    {
        var options = Assert.IsType<VirtsyncOptions>(Load(("sources:stalledWindowRatio", "2.5"), ("sources:stalledRunLimit", "3")).Options);

        var engine = options.ToEngineOptions();
        Assert.Equal(2.5, engine.StalledWindowRatio);
        Assert.Equal(3, engine.StalledRunLimit);
    }

    [Fact]
    public void ZeroTurnsTheDelayTestOff()
    {
        var options = Assert.IsType<VirtsyncOptions>(Load(("sources:stalledWindowRatio", "0")).Options);

        Assert.Equal(0, options.ToEngineOptions().StalledWindowRatio);
    }

    [Fact]
    public void TheDefaultsAreTheEngines()
    {
        var engine = Assert.IsType<VirtsyncOptions>(Load().Options).ToEngineOptions();

        Assert.Equal(new SyncEngineOptions().StalledWindowRatio, engine.StalledWindowRatio);
        Assert.Equal(new SyncEngineOptions().StalledRunLimit, engine.StalledRunLimit);
    }

    [Theory]
    [InlineData("sources:stalledWindowRatio", "-1")]
    [InlineData("sources:stalledRunLimit", "0")]
    [InlineData("sources:stalledRunLimit", "two")]
    public void ABadValueNamesTheKey(string key, string value)
    {
        var loaded = Load((key, value));

        Assert.Null(loaded.Options);
        Assert.Equal(key, Assert.Single(loaded.Errors).Key);
    }
}
