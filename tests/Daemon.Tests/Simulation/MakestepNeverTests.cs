using Sync.Clock.Simulation;
using Sync.Daemon.Configuration;
using Sync.Daemon.Pipeline;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;

namespace Sync.Daemon.Tests.Simulation;

/// <summary>
/// discipline:makestepLimit 0 is "never" (docs/operations.md): loaded from the configuration as the daemon does and
/// run through the whole chain with a 10 s VM pause, the clock is never stepped (not even for the pause) but slewed
/// back; with the default 3 the pause is stepped. Fails if the key's 0 stops reaching the jump handling.
/// </summary>
public sealed class MakestepNeverTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private SyncEngineOptions Load(string makestepLimit)
    {
        var path = _dir.File("virtsync.json");
        File.WriteAllText(path, "{}");
        var result = ConfigurationLoader.Load(new ConfigurationInputs
        {
            ConfigPath = path,
            Environment = new Dictionary<string, string?>(),
            Overrides = [new KeyValuePair<string, string?>("discipline:makestepLimit", makestepLimit)],
        });
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        return result.Options!.ToEngineOptions();
    }

    private static SimulationResult RunWithPause(SyncEngineOptions options)
    {
        var scenario = ScenarioCatalog.Get("virtio-x86");
        scenario.DurationS = 600;
        scenario.Events = [new ScenarioEvent { TS = 300, Kind = ScenarioEvent.VmPaused, DurationS = 10 }];
        return SimulationRunner.Run(scenario, SimulationRunner.Virtsync(options), LeapPolicy.Kernel);
    }

    [Fact]
    public void ZeroNeverStepsNotEvenAfterAPauseButSlewsBack()
    {
        var options = Load("0");
        Assert.False(options.Discipline.Steps.AfterDiscontinuity);
        var result = RunWithPause(options);
        Assert.Equal(0, result.Report.Steps);
        // Slewed at 83333 ppm at most: 10 s take at least 120 s, and the clock is back by the end.
        var after = result.Trace.Where(p => p.TimeS >= 310).ToList();
        Assert.True(Math.Abs(after.First(p => p.TimeS >= 400).TrueOffsetNs) > 1_000_000_000L, "still seconds off 90 s after resume: slewed, not stepped");
        Assert.True(Math.Abs(after[^1].TrueOffsetNs) < 1_000_000, $"back within 1 ms by the end: {after[^1].TrueOffsetNs} ns");
    }

    [Theory]
    [InlineData("3")]
    [InlineData("-1")]
    public void AnyOtherLimitStepsThePauseBack(string makestepLimit)
    {
        var options = Load(makestepLimit);
        Assert.True(options.Discipline.Steps.AfterDiscontinuity);
        var result = RunWithPause(options);
        var after = result.Trace.Where(p => p.TimeS >= 311 && p.TimeS < 370).ToList();
        Assert.True(after.Max(p => Math.Abs(p.TrueOffsetNs)) < 50_000, "stepped back at the first reading after resume");
        Assert.True(result.Report.Steps >= 1);
    }
}
