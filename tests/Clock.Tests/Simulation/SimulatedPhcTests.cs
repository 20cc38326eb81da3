using Sync.Clock.Abstractions;
using Sync.Clock.Simulation;
using Sync.Filters.Samples;
using Sync.Filters.Time;
using static Sync.Clock.Tests.Simulation.SimTestWorlds;

namespace Sync.Clock.Tests.Simulation;

public class SimulatedPhcTests
{
    private const long S = NsPerSecond;

    private static (SimulatedWorld World, SimulatedSystemClock Guest, SimulatedPhc Phc) Setup(
        ReadingMethod mode, DelaySettings delay, ClockScale? scale = null, double guestOffsetMs = 2)
    {
        var world = WorldAt(Utc(2026, 11, 25, 12));
        var guest = GuestClock(world, offsetPpm: 0, initialOffsetMs: guestOffsetMs);
        var served = SimulatedHostClock.ForWorld(world, scale ?? ClockScale.Utc);
        var phc = new SimulatedPhc(world, guest, served, new PhcReadModel(delay, 1, world.StartTrueNs), mode);
        return (world, guest, phc);
    }

    [Fact]
    public void ExtendedReadingBracketsEachDeviceReadWithTheGuestClock()
    {
        var delay = new DelaySettings { BaseDelayNs = 20_000, JitterNs = 1_000, AsymmetryFraction = 0.25 };
        var (world, _, phc) = Setup(ReadingMethod.Extended, delay);
        var start = world.TrueNs;
        var reading = phc.Read(10).Value;
        Assert.Equal(ReadingMethod.Extended, reading.Method);
        Assert.Equal(ReadingMethod.Extended, phc.Method);
        Assert.Equal(10, reading.Samples.Count);
        long totalDelay = 0;
        for (var i = 0; i < reading.Samples.Count; i++)
        {
            var sample = reading.Samples[i];
            Assert.InRange(sample.DelayNs, 20_000, 200_000);
            if (i > 0) Assert.Equal(reading.Samples[i - 1].SysAfterNs, sample.SysBeforeNs);
            // Guest is 2 ms ahead; the device is read a quarter into the round trip.
            var deviceAt = sample.SysBeforeNs - 2_000_000 + (long)Math.Round(0.25 * sample.DelayNs);
            Assert.InRange(sample.PhcNs - deviceAt, -1, 1);
            totalDelay += sample.DelayNs;
        }
        Assert.Equal(start + totalDelay, world.TrueNs); // the reading took simulated time
    }

    [Fact]
    public void PreciseReadingIsOneCrossTimestampWithTinyError()
    {
        var (_, _, phc) = Setup(ReadingMethod.Precise, new DelaySettings { BaseDelayNs = 300, PreciseErrorNs = 2 });
        var reading = phc.Read(25).Value;
        Assert.Equal(ReadingMethod.Precise, reading.Method);
        var sample = Assert.Single(reading.Samples);
        Assert.Equal(0, sample.DelayNs);
        Assert.InRange(sample.SysBeforeNs - sample.PhcNs - 2_000_000, -20, 20);
    }

    [Fact]
    public void DeviceReadIsInjectable()
    {
        var (world, _, phc) = Setup(ReadingMethod.Extended, new DelaySettings { BaseDelayNs = 1000, JitterNs = 0 });
        var instants = new List<long>();
        phc.DeviceRead = () => { instants.Add(world.TrueNs); return 42; };
        var reading = phc.Read(3).Value;
        Assert.All(reading.Samples, s => Assert.Equal(42, s.PhcNs));
        Assert.Equal(3, instants.Count);
        Assert.Equal(1000, instants[1] - instants[0]);
    }

    [Fact]
    public void OutageFailsReadsWithDeviceGoneThenRecovers()
    {
        var (world, _, phc) = Setup(ReadingMethod.Extended, new DelaySettings());
        phc.AddOutage(world.StartTrueNs + 10 * S, 600 * S);
        Assert.True(phc.Read(5).IsOk);
        world.AdvanceTo(world.StartTrueNs + 10 * S);
        var failed = phc.Read(5);
        Assert.False(failed.IsOk);
        Assert.Equal(ClockErrorKind.DeviceGone, failed.Error!.Kind);
        Assert.Equal("ENODEV", failed.Error.ErrnoName);
        world.AdvanceTo(world.StartTrueNs + 609 * S);
        Assert.False(phc.Read(5).IsOk);
        world.AdvanceTo(world.StartTrueNs + 610 * S);
        Assert.True(phc.Read(5).IsOk);
    }

    [Fact]
    public void BadSampleCountIsEinval()
    {
        var (_, _, phc) = Setup(ReadingMethod.Extended, new DelaySettings());
        Assert.Equal(ClockErrorKind.InvalidArgument, phc.Read(0).Error!.Kind);
        Assert.Equal(ClockErrorKind.InvalidArgument, phc.Read(26).Error!.Kind);
    }

    [Fact]
    public void InfoNamesTheClockLikeTheLinuxDriver()
    {
        var (_, _, tai) = Setup(ReadingMethod.Extended, new DelaySettings(), ClockScale.Tai);
        Assert.Equal("Virtio PTP type 1/variant 0", tai.Info.Name);
        Assert.Equal("/dev/ptp-sim0", tai.Info.Path);
        Assert.Equal(ClockScale.Tai, tai.Info.Scale);
        var (_, _, sls) = Setup(ReadingMethod.Extended, new DelaySettings(), ClockScale.UtcSmearedSls);
        Assert.Equal("Virtio PTP type 3/variant 2", sls.Info.Name);
    }
}
