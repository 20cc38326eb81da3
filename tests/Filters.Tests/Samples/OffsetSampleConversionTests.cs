using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Samples;

public class OffsetSampleConversionTests
{
    private static readonly Instant<Utc> Local = Instant<Utc>.FromSeconds(1_764_000_000);

    [Fact]
    public void TaiReferenceBecomesAUtcOffset()
    {
        var reduced = new ReducedSample(Local, new ScaledInstant(ClockScale.Tai, Local.Nanoseconds + 37 * Duration.NanosecondsPerSecond - 250), new Duration(100), new Duration(50), 5);

        var result = OffsetSampleConversion.From(reduced, LeapSecondTable.Embedded);

        Assert.Equal(new OffsetSample(Local, new Duration(250), new Duration(100), new Duration(50)), result.Sample);
    }

    [Fact]
    public void MaybeSmearedNearALeapWidensTheError()
    {
        var local = Instant<Utc>.FromSeconds(1_483_228_800 - 3600);
        var reduced = new ReducedSample(local, new ScaledInstant(ClockScale.UtcMaybeSmeared, local.Nanoseconds), Duration.Zero, new Duration(50), 1);

        var sample = OffsetSampleConversion.From(reduced, LeapSecondTable.Embedded).Sample!.Value;

        Assert.Equal(new Duration(-500_000_000), sample.Offset);
        Assert.Equal(new Duration(500_000_050), sample.Error);
    }

    [Fact]
    public void MonotonicReferenceIsAnError()
    {
        var reduced = new ReducedSample(Local, new ScaledInstant(ClockScale.Monotonic, 5), Duration.Zero, Duration.Zero, 1);

        var result = OffsetSampleConversion.From(reduced, LeapSecondTable.Embedded);

        Assert.False(result.IsSuccess);
        Assert.NotNull(result.Error);
    }
}
