using Sync.Clock.Simulation;
using Sync.Daemon.Simulation;

namespace Sync.Daemon.Tests.Simulation;

public class WorldGeneratorTests
{
    private static readonly WorldRanges Ranges = WorldRanges.Default;
    private static readonly List<Scenario> Worlds = Enumerable.Range(0, 400).Select(i => WorldGenerator.Generate(5, i)).ToList();

    [Fact]
    public void TheSameSeedAndIndexGiveTheSameWorldAndOthersDiffer()
    {
        var a = ScenarioLoader.ToJson(WorldGenerator.Generate(7, 3));
        Assert.Equal(a, ScenarioLoader.ToJson(WorldGenerator.Generate(7, 3)));
        Assert.NotEqual(a, ScenarioLoader.ToJson(WorldGenerator.Generate(7, 4)));
        Assert.NotEqual(a, ScenarioLoader.ToJson(WorldGenerator.Generate(8, 3)));
    }

    [Fact]
    public void EveryWorldIsAValidScenarioThatSurvivesAJsonRoundTrip()
    {
        foreach (var world in Worlds)
        {
            Assert.Empty(world.Validate());
            ScenarioWorld.Create(world);
            Assert.Equal(ScenarioLoader.ToJson(world), ScenarioLoader.ToJson(ScenarioLoader.Parse(ScenarioLoader.ToJson(world))));
        }
    }

    [Fact]
    public void EveryParameterStaysInItsDocumentedRangeAndTheRangesAreCovered()
    {
        foreach (var w in Worlds)
        {
            Assert.InRange(w.ReadIntervalS, Ranges.ReadIntervalS.Min - 0.001, Ranges.ReadIntervalS.Max + 0.001);
            Assert.InRange(w.Delay.BaseDelayNs, Ranges.BaseDelayNs.Min - 1, Ranges.BaseDelayNs.Max + 1);
            Assert.InRange(Math.Abs(w.Delay.AsymmetryFraction - 0.5), 0, Ranges.MaxReadPointOffset + 1e-9);
            Assert.InRange(Math.Abs(w.Oscillator.OffsetPpm), 0, Ranges.MaxOffsetPpm);
            Assert.InRange(w.Oscillator.WanderPpmPerSqrtS, Ranges.WanderPpmPerSqrtS.Min * 0.99, Ranges.WanderPpmPerSqrtS.Max * 1.01);
            Assert.All(w.Oscillator.AllPeriodicTerms(), t =>
            {
                Assert.InRange(t.AmplitudePpm, Ranges.PeriodicAmplitudePpm.Min, Ranges.PeriodicAmplitudePpm.Max);
                Assert.InRange(t.PeriodS, Ranges.PeriodicPeriodS.Min - 1, Ranges.PeriodicPeriodS.Max + 1);
            });
        }
        // Both ends of the log ranges are reached (not clustered around one value), both reading modes, every event kind.
        Assert.Contains(Worlds, w => w.ReadIntervalS < 0.2);
        Assert.Contains(Worlds, w => w.ReadIntervalS > 32);
        Assert.Contains(Worlds, w => w.Delay.BaseDelayNs < 600);
        Assert.Contains(Worlds, w => w.Delay.BaseDelayNs > 100_000);
        Assert.Contains(Worlds, w => w.Oscillator.WanderPpmPerSqrtS < 2e-4);
        Assert.Contains(Worlds, w => w.Oscillator.WanderPpmPerSqrtS > 5e-3);
        Assert.Contains(Worlds, w => w.ReadingMode == "precise");
        Assert.Contains(Worlds, w => w.ReadingMode == "extended");
        Assert.Contains(Worlds, w => w.Delay.AsymmetryFraction == 0.5);
        foreach (var kind in new[] { ScenarioEvent.ServedStep, ScenarioEvent.ServedRate, ScenarioEvent.DeviceRemoved, ScenarioEvent.GuestStep, ScenarioEvent.GuestFreqJump })
            Assert.Contains(Worlds, w => w.Events.Any(e => e.Kind == kind));
    }

    [Fact]
    public void EventsComeAfterTheWarmUpAndEachHasRoomForItsWindowAndRecovery()
    {
        var rules = FigureRules.Default;
        foreach (var w in Worlds)
        {
            var warmUp = rules.WarmUpS(w.ReadIntervalS, w.DurationS);
            var need = rules.EventWindowS(w.ReadIntervalS) + rules.RecoveryHoldS;
            var times = w.Events.Select(e => (e.TS, End: e.TS + (e.DurationS ?? 0))).DistinctBy(e => e.TS).OrderBy(e => e.TS).ToList();
            for (var i = 0; i < times.Count; i++)
            {
                Assert.True(times[i].TS >= warmUp, $"{w.Name}: event at {times[i].TS} s inside the {warmUp} s warm-up");
                var next = i + 1 < times.Count ? times[i + 1].TS : w.DurationS;
                Assert.True(next - times[i].End >= need, $"{w.Name}: event at {times[i].TS} s has {next - times[i].End} s before the next, needs {need}");
            }
        }
    }
}
