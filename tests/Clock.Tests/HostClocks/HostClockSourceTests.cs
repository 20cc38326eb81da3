using Sync.Filters.Leap;
using Sync.Clock.HostClocks;
using Sync.Clock.Tests.Virtio;
using Sync.Clock.Virtio.Rtc;
using Sync.Filters.Time;
using Sync.TestSupport;

namespace Sync.Clock.Tests.HostClocks;

public class HostClockSourceTests
{
    [Fact]
    public void Realtime_IsUtc_AndAgreesWithTheSystemClock()
    {
        var source = PosixClockSource.Realtime();
        Assert.Equal(ClockScale.Utc, source.Scale);
        long systemNs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;
        Assert.InRange(source.ReadNanoseconds() - systemNs, -1_000_000_000L, 1_000_000_000L);
    }

    [Fact]
    public void MaybeSmeared_ServesRealtimeUnderItsOwnLabel()
    {
        var source = PosixClockSource.RealtimeAsMaybeSmeared();
        Assert.Equal(ClockScale.UtcMaybeSmeared, source.Scale);
        Assert.InRange(source.ReadNanoseconds() - PosixClockSource.Realtime().ReadNanoseconds(), -1_000_000_000L, 1_000_000_000L);
    }

    [Fact]
    public void Monotonic_AndBoottime_NeverDecrease()
    {
        var monotonic = PosixClockSource.Monotonic();
        var boottime = PosixClockSource.Boottime();
        Assert.Equal(ClockScale.Monotonic, monotonic.Scale);
        Assert.Equal(ClockScale.Monotonic, boottime.Scale);
        long previous = monotonic.ReadNanoseconds();
        for (int i = 0; i < 1000; i++)
        {
            long now = monotonic.ReadNanoseconds();
            Assert.True(now >= previous);
            previous = now;
        }
        Assert.True(boottime.ReadNanoseconds() >= monotonic.ReadNanoseconds() - 1_000_000);
    }

    [Fact]
    public void KernelTaiOffset_IsReadable_WithoutPrivileges()
    {
        var offset = HostClockInterop.ReadKernelTaiOffsetSeconds();
        Assert.NotNull(offset);
        Assert.InRange(offset.Value, 0, 100);
    }

    [Fact]
    public void Tai_UsesClockTai_WhenTheKernelOffsetIsSet()
    {
        var kernelTai = new ManualClockSource(ClockScale.Tai, 1_700_000_037_000_000_000);
        var utc = new ManualClockSource(ClockScale.Utc, 1);
        var tai = new TaiClockSource(null, 37, kernelTai, utc, null);
        Assert.Equal(TaiDerivation.KernelClockTai, tai.Derivation);
        Assert.Equal(ClockScale.Tai, tai.Scale);
        Assert.Equal(kernelTai.NowNs, tai.ReadNanoseconds());
        Assert.Contains("CLOCK_TAI", tai.ToString());
    }

    [Fact]
    public void Tai_WithoutKernelOffsetOrTable_IsAConfigurationError()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new TaiClockSource(null, 0, new ManualClockSource(ClockScale.Tai), new ManualClockSource(ClockScale.Utc), null));
        Assert.Contains("leap-second table", ex.Message);
    }

    [Fact]
    public void Smeared_RefusesAnUndefinedVariant_OrANonTaiSource()
    {
        var tai = new ManualClockSource(ClockScale.Tai);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmearedUtcClockSource(SmearVariant.Unspecified, tai, null!));
        Assert.Throws<ArgumentException>(() => new SmearedUtcClockSource(SmearVariant.NoonLinear, new ManualClockSource(ClockScale.Utc), null!));
    }

    [Fact]
    public void Factory_BuildsEachScale_AndAMaybeSmearedClockSmearsOnlyWhenToldHow()
    {
        var factory = new HostClockFactory(LeapSecondTable.Embedded);
        Assert.Equal(ClockScale.Utc, factory.Create(ClockScale.Utc).Scale);
        Assert.Equal(ClockScale.Tai, factory.Create(ClockScale.Tai).Scale);
        Assert.Equal(ClockScale.Monotonic, factory.Create(ClockScale.Monotonic).Scale);
        Assert.Equal(ClockScale.UtcSmearedNoonLinear, factory.Create(ClockScale.UtcSmearedNoonLinear).Scale);
        Assert.Equal(ClockScale.UtcSmearedSls, factory.Create(ClockScale.UtcSmearedSls).Scale);
        Assert.IsType<PosixClockSource>(factory.Create(ClockScale.UtcMaybeSmeared));
        var smearing = Assert.IsType<SmearedUtcClockSource>(factory.Create(ClockScale.UtcMaybeSmeared, SmearVariant.UtcSls));
        Assert.Equal(ClockScale.UtcMaybeSmeared, smearing.Scale);
    }

    [Fact]
    public void DeviceOverRealHostClocks_AnswersReads()
    {
        using var device = new VirtioRtcDevice(new VirtioRtcDeviceOptions
        {
            Clocks = [new DeviceClock(PosixClockSource.Realtime()), new DeviceClock(PosixClockSource.Monotonic())],
        });
        var driver = new VirtioRtcDriver(new DirectRequestChannel(device));
        long before = PosixClockSource.Realtime().ReadNanoseconds();
        long reading = driver.Read(0).Value;
        long after = PosixClockSource.Realtime().ReadNanoseconds();
        Assert.InRange(reading, before, after);
        Assert.Equal(TimeScale.Monotonic, driver.ClockCapabilities(1).Value.Type);
    }
}
