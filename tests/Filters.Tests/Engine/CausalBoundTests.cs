using Sync.Filters.Engine;
using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Engine;

/// <summary>The causal bound: the newest sample's distance from the estimate plus where the sample puts the reference.</summary>
public class CausalBoundTests
{
    private static readonly Instant<Utc> At = Instant<Utc>.FromSeconds(1_800_000_000);

    private static ClockEstimate EstimateAt(long offsetNs, long boundNs) =>
        new(At, Duration.FromNanoseconds(offsetNs), 0, Duration.FromNanoseconds(1), 0, Duration.FromNanoseconds(boundNs), 10);

    [Fact]
    public void ACrossTimestampsAllowanceIsThePrecisionItStates()
    {
        // Random world 2-278: the first cross-timestamp after a migration was read while the clock stepped and states
        // 4847 ns of precision; it lies 14573 ns from the restarted estimate, and the truth was 19404 ns from that
        // estimate: within the sample's stated precision of the sample, not within 0 ns of it.
        var causal = new CausalBound();
        causal.Observe(new OffsetSample(At, Duration.FromNanoseconds(14_573), Duration.Zero, Duration.FromNanoseconds(4_847)), Duration.Zero, EstimateAt(0, 96));
        Assert.Equal(14_573 + 4_847, causal.AtSample!.Value.Nanoseconds);
    }

    [Fact]
    public void AWindowsAllowanceIsHalfTheWindowWhateverItsError()
    {
        // A bracketed reading: the allowance is the caller's (half the window, or a calibration's), not its Error.
        var causal = new CausalBound();
        causal.Observe(new OffsetSample(At, Duration.FromNanoseconds(3_000), Duration.FromNanoseconds(20_000), Duration.FromNanoseconds(10_000)),
            Duration.FromNanoseconds(2_000), EstimateAt(1_000, 500));
        Assert.Equal(2_000 + 2_000, causal.AtSample!.Value.Nanoseconds);
    }
}
