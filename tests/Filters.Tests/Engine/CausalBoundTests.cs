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
    public void ACrossTimestampTheModelExplainsSetsNoCausalBound()
    {
        // Random world 2-3: cross-timestamps scattering 8.7 ns (stating 1 ns) around an estimate whose bound is 9 ns.
        // Their distance from it is a draw of that scatter: taken as a bound it set the published one at 12-18 ns. One
        // the model and the scatter explain says nothing more; one far beyond them (a migration) still does.
        var causal = new CausalBound();
        var random = new Random(3);
        var estimate = EstimateAt(0, 9);
        OffsetSample CrossTimestamp(long offsetNs) => new(At, Duration.FromNanoseconds(offsetNs), Duration.Zero, Duration.FromNanoseconds(1));
        for (var i = 0; i < 100; i++)
            causal.Observe(CrossTimestamp((long)Math.Round(8.7 * SyntheticNormal(random))), Duration.Zero, estimate);
        causal.Observe(CrossTimestamp(17), Duration.Zero, estimate);
        Assert.Null(causal.AtSample);
        causal.Observe(CrossTimestamp(-14_573), Duration.Zero, estimate);
        Assert.Equal(14_573 + 1, causal.AtSample!.Value.Nanoseconds);
        // A window still counts whatever the scatter of cross-timestamps was.
        causal.Observe(new OffsetSample(At, Duration.FromNanoseconds(5), Duration.FromNanoseconds(40), Duration.FromNanoseconds(20)), Duration.FromNanoseconds(20), estimate);
        Assert.Equal(25, causal.AtSample!.Value.Nanoseconds);
    }

    private static double SyntheticNormal(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

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
