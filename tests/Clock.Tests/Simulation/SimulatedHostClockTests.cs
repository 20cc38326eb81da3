using Sync.Clock.Simulation;
using Sync.Filters.Time;
using static Sync.Clock.Tests.Simulation.SimTestWorlds;

namespace Sync.Clock.Tests.Simulation;

public class SimulatedHostClockTests
{
    private const long S = NsPerSecond;

    private static (SimulatedWorld World, long LeapStartTaiNs) LeapWorld(double hoursBefore)
    {
        var table = TableWithInsertedLeap();
        var world = WorldAt(new Instant<Utc>(LeapMidnight.Nanoseconds - (long)(hoursBefore * 3600 * S)), table);
        // The inserted second starts at TAI = midnight + 37 s (the old offset).
        return (world, LeapMidnight.Nanoseconds + 37 * S);
    }

    [Fact]
    public void UtcStepsBackOneSecondAtAnInsertedLeap()
    {
        var (world, leapTai) = LeapWorld(1);
        var utc = SimulatedHostClock.ForWorld(world, ClockScale.Utc);
        Assert.Equal(LeapMidnight.Nanoseconds - 1, utc.ReadAt(leapTai - 1));
        Assert.Equal(LeapMidnight.Nanoseconds - S, utc.ReadAt(leapTai)); // 23:59:60 shows as 23:59:59
        Assert.Equal(LeapMidnight.Nanoseconds - 1, utc.ReadAt(leapTai + S - 1));
        Assert.Equal(LeapMidnight.Nanoseconds, utc.ReadAt(leapTai + S));
        world.AdvanceTo(leapTai + 10 * S);
        Assert.Equal(LeapMidnight.Nanoseconds + 9 * S, utc.ReadNanoseconds());
        Assert.Equal(world.TrueUtcNow.Nanoseconds, utc.ReadNanoseconds());
    }

    [Fact]
    public void TaiAndMonotonicAreContinuousAcrossTheLeap()
    {
        var (world, leapTai) = LeapWorld(1);
        var tai = SimulatedHostClock.ForWorld(world, ClockScale.Tai);
        var monotonic = SimulatedHostClock.ForWorld(world, ClockScale.Monotonic);
        long previousMonotonic = monotonic.ReadNanoseconds();
        Assert.True(previousMonotonic > 0);
        for (var t = leapTai - 3 * S; t < leapTai + 3 * S; t += S / 4)
        {
            world.AdvanceTo(t);
            Assert.Equal(t, tai.ReadNanoseconds());
            var m = monotonic.ReadNanoseconds();
            Assert.True(m > previousMonotonic);
            previousMonotonic = m;
        }
    }

    [Theory]
    [InlineData(SmearVariant.NoonLinear, 13.0)]
    [InlineData(SmearVariant.UtcSls, 1.0)]
    [InlineData(SmearVariant.Unspecified, 13.0)]
    public void SmearedUtcIsContinuousAndWithinOneSecondOfUtc(SmearVariant variant, double hoursBefore)
    {
        var (world, leapTai) = LeapWorld(hoursBefore);
        var smeared = SimulatedHostClock.ForWorld(world, new ClockScale(TimeScale.UtcSmeared, variant));
        var utc = SimulatedHostClock.ForWorld(world, ClockScale.Utc);
        var step = 10 * S;
        var end = leapTai + (long)(hoursBefore * 3600 * S);
        long previous = smeared.ReadNanoseconds();
        long maxDifference = 0;
        for (var t = world.StartTrueNs + step; t <= end; t += step)
        {
            world.AdvanceTo(t);
            var s = smeared.ReadNanoseconds();
            var advance = s - previous;
            Assert.InRange(advance, step - step / 500, step); // slowed by at most 0.1 %, never stepped
            previous = s;
            var difference = Math.Abs(s - utc.ReadNanoseconds());
            Assert.True(difference <= S, $"smeared - UTC = {difference} ns at TAI {t}");
            maxDifference = Math.Max(maxDifference, difference);
        }
        Assert.True(maxDifference >= 4 * S / 10, "the smear must actually have spread the second");
        Assert.Equal(utc.ReadAt(end + 13 * 3600 * S), smeared.ReadAt(end + 13 * 3600 * S)); // after the smear: UTC again
    }

    [Fact]
    public void MaybeSmearedSmearsOrStepsAsConfigured()
    {
        var (world, leapTai) = LeapWorld(1);
        var stepping = SimulatedHostClock.ForWorld(world, ClockScale.UtcMaybeSmeared, MaybeSmearedBehaviour.Step);
        var smearing = SimulatedHostClock.ForWorld(world, ClockScale.UtcMaybeSmeared, MaybeSmearedBehaviour.Smear);
        Assert.Equal(-S + 1, stepping.ReadAt(leapTai) - stepping.ReadAt(leapTai - 1));
        var smearJump = smearing.ReadAt(leapTai) - smearing.ReadAt(leapTai - 1);
        Assert.InRange(smearJump, 0, 1);
    }

    [Fact]
    public void ServedFaultsStepAndDriftFromTheirInstants()
    {
        var world = WorldAt(Utc(2026, 11, 25));
        var tai = SimulatedHostClock.ForWorld(world, ClockScale.Tai);
        var t0 = world.StartTrueNs;
        tai.AddStep(t0 + 10 * S, 100_000_000);
        tai.AddRateError(t0 + 20 * S, 50);
        Assert.Equal(t0 + 10 * S - 1, tai.ReadAt(t0 + 10 * S - 1));
        Assert.Equal(t0 + 10 * S + 100_000_000, tai.ReadAt(t0 + 10 * S));
        Assert.Equal(t0 + 30 * S + 100_000_000 + 500_000, tai.ReadAt(t0 + 30 * S));
    }

    [Fact]
    public void BaseTimeIsInjectable()
    {
        long baseNs = 1_000 * S;
        var clock = new SimulatedHostClock(ClockScale.Tai, () => baseNs, Sync.Filters.Leap.LeapSecondTable.Embedded);
        Assert.Equal(1_000 * S, clock.ReadNanoseconds());
        baseNs += 5;
        Assert.Equal(1_000 * S + 5, clock.ReadNanoseconds());
    }
}
