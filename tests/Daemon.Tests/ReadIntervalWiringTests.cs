using Sync.Clock.Simulation;
using Sync.Daemon.Configuration;
using Sync.Daemon.Pipeline;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>sources:readIntervalSeconds reaches the engine (issue 14, part 2): one read interval for reading and
/// estimating, in the daemon and in the simulator. Fails if the key is unhooked.</summary>
public sealed class ReadIntervalWiringTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private VirtsyncOptions Load(string value)
    {
        var path = _dir.File("virtsync.json");
        File.WriteAllText(path, "{}");
        var result = ConfigurationLoader.Load(new ConfigurationInputs
        {
            ConfigPath = path,
            Environment = new Dictionary<string, string?>(),
            Overrides = [new KeyValuePair<string, string?>("sources:readIntervalSeconds", value)],
        });
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        return result.Options!;
    }

    [Theory]
    [InlineData("0.01")]
    [InlineData("16")]
    [InlineData("3600")]
    public void TheConfiguredIntervalIsTheEnginesReadInterval(string seconds)
    {
        var options = Load(seconds);
        var expected = Duration.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expected, options.ToEngineOptions().ReadInterval);
        var pipeline = new EnginePipeline(options.ToEngineOptions(), LeapSecondTable.Embedded, 3, expected);
        Assert.Equal(expected, pipeline.ReadInterval);
        Assert.Equal(expected, pipeline.Engine.Options.ReadInterval);
    }

    [Fact]
    public void TheSimulatorReadsAndEstimatesAtTheScenariosReadInterval()
    {
        var scenario = ScenarioCatalog.All[0] with { ReadIntervalS = 16 };
        var pipeline = (EnginePipeline)SimulationRunner.Virtsync(new SyncEngineOptions())(ScenarioWorld.Create(scenario));
        Assert.Equal(Duration.FromSeconds(16), pipeline.ReadInterval);
        Assert.Equal(Duration.FromSeconds(16), pipeline.Engine.Options.ReadInterval);
    }
}
