using Sync.Clock.HostClocks;
using Sync.Clock.Tests.Virtio;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.HostClocks;

public class LeapDerivedClockTests
{
    private const long Second = 1_000_000_000;
    // 2026-11-25T12:00:00Z; TAI - UTC = 37 s since 2017
    private static readonly long UtcNs = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds() * Second;

    [Fact]
    public void Tai_WithoutKernelOffset_IsUtcPlusTheTableOffset()
    {
        var utc = new ManualClockSource(ClockScale.Utc, UtcNs + 123);
        var tai = new TaiClockSource(LeapSecondTable.Embedded, 0, new ManualClockSource(ClockScale.Tai, 42), utc, null);
        Assert.Equal(TaiDerivation.LeapSecondTable, tai.Derivation);
        Assert.Equal(UtcNs + 123 + 37 * Second, tai.ReadNanoseconds());
        Assert.Contains("leap-second table", tai.ToString());
    }

    [Fact]
    public void Tai_WithAnUnreadableKernelOffset_FallsBackToTheTable()
    {
        var utc = new ManualClockSource(ClockScale.Utc, UtcNs);
        var tai = new TaiClockSource(LeapSecondTable.Embedded, null, new ManualClockSource(ClockScale.Tai, 42), utc, null);
        Assert.Equal(TaiDerivation.LeapSecondTable, tai.Derivation);
        Assert.Equal(UtcNs + 37 * Second, tai.ReadNanoseconds());
    }

    [Theory]
    [InlineData(SmearVariant.NoonLinear)]
    [InlineData(SmearVariant.UtcSls)]
    public void Smeared_AwayFromALeap_IsPlainUtc(SmearVariant variant)
    {
        var tai = new ManualClockSource(ClockScale.Tai, UtcNs + 37 * Second);
        var smeared = new SmearedUtcClockSource(variant, tai, LeapSecondTable.Embedded);
        Assert.Equal(new ClockScale(TimeScale.UtcSmeared, variant), smeared.Scale);
        Assert.Equal(UtcNs, smeared.ReadNanoseconds());
    }

    [Theory]
    [InlineData(SmearVariant.NoonLinear)]
    [InlineData(SmearVariant.UtcSls)]
    public void Smeared_AcrossAnInsertedLeap_MovesSmoothlyFromOldToNewOffset(SmearVariant variant)
    {
        var effective = Instant<Utc>.FromSeconds(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds());
        var table = LeapSecondTable.Embedded.WithLeap(effective, +1);
        var tai = new ManualClockSource(ClockScale.Tai);
        var smeared = new SmearedUtcClockSource(variant, tai, table);

        long dayBeforeTai = effective.Nanoseconds - 86_400 * Second + 37 * Second;
        long dayAfterTai = effective.Nanoseconds + 86_400 * Second + 38 * Second;
        tai.NowNs = dayBeforeTai;
        Assert.Equal(dayBeforeTai - 37 * Second, smeared.ReadNanoseconds());
        tai.NowNs = dayAfterTai;
        Assert.Equal(dayAfterTai - 38 * Second, smeared.ReadNanoseconds());

        // in between the smeared clock never steps: 1 ms of TAI moves it by 1 ms +- 1.2 us (0.1 % at most)
        long previous = 0;
        for (long t = dayBeforeTai; t <= dayAfterTai; t += 60 * Second)
        {
            tai.NowNs = t;
            long a = smeared.ReadNanoseconds();
            tai.NowNs = t + 1_000_000;
            long b = smeared.ReadNanoseconds();
            Assert.InRange(b - a, 998_000, 1_000_001);
            Assert.True(a > previous);
            previous = a;
        }
    }
}
