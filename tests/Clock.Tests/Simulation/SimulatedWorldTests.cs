using static Sync.Clock.Tests.Simulation.SimTestWorlds;

namespace Sync.Clock.Tests.Simulation;

public class SimulatedWorldTests
{
    [Fact]
    public void TimeMovesOnlyWhenAdvancedAndNeverBackwards()
    {
        var world = WorldAt(Utc(2026, 11, 25));
        var start = world.TrueNs;
        Assert.Equal(start, world.TrueNs);
        world.AdvanceTo(start + 5);
        world.AdvanceTo(start + 2);
        Assert.Equal(start + 5, world.TrueNs);
        Assert.Equal(5, world.ElapsedNs);
        Assert.Equal(Utc(2026, 11, 25).Nanoseconds + 5, world.TrueUtcNow.Nanoseconds);
        Assert.Equal(37, world.TaiMinusUtcSecondsAt(world.TrueNs));
        Assert.Equal(world.TrueUtcNow.Nanoseconds + 37 * NsPerSecond, world.TrueTaiNow.Nanoseconds);
    }

    [Fact]
    public void EventsFireInOrderAtTheirOwnInstant()
    {
        var world = WorldAt(Utc(2026, 11, 25));
        var t0 = world.StartTrueNs;
        var seen = new List<(string, long)>();
        world.Schedule(t0 + 300, "b", "second", () => seen.Add(("b", world.TrueNs)));
        world.Schedule(t0 + 100, "a", "first", () => seen.Add(("a", world.TrueNs)));
        world.Schedule(t0 + 900, "c", "later");
        world.AdvanceTo(t0 + 500);
        Assert.Equal([("a", t0 + 100), ("b", t0 + 300)], seen);
        Assert.Equal(t0 + 500, world.TrueNs);
        Assert.Equal(["a", "b"], world.FiredEvents.Select(e => e.Kind));
        Assert.Equal(["a", "b", "c"], world.Events.Select(e => e.Kind));
        Assert.Equal(100, world.Events[0].AtElapsedNs);
        Assert.Throws<InvalidOperationException>(() => world.Schedule(t0 + 400, "late", "in the past"));
    }
}
