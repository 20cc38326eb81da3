using Sync.Filters.Estimation;

namespace Sync.Filters.Tests.Estimation;

/// <summary>Bounds that widen when the core doubts (issue 14, part 3): while a sample is held as a possible step or
/// outlier, the published bound covers it, so a real step is inside the bound from its first sample on.</summary>
public class DoubtWidenedBoundTests
{
    [Theory]
    [InlineData(EstimatorKind.Kalman)]
    [InlineData(EstimatorKind.Regression)]
    public void AHeldSampleIsInsideTheBoundUntilItIsJudged(string kind)
    {
        var osc = new SyntheticOscillator(new Random(31), 0, 2_000, wanderNs2PerS3: 1, noiseSdNs: 30);
        var est = EstimatorKind.Create(kind);
        for (int i = 0; i < 300; i++) { osc.Advance(1); est.Add(osc.Sample()); }
        var quietBound = est.EstimateAt(osc.Now)!.ErrorBound.Nanoseconds;

        // The reference steps by 20 us: the first samples after it are held as outliers, then a discontinuity.
        osc.Step(20_000);
        bool sawHeld = false;
        for (int i = 0; i < 3; i++)
        {
            osc.Advance(1);
            var outcome = EstimatorKind.Add(est, osc.Sample());
            var e = est.EstimateAt(osc.Now)!;
            double error = Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs);
            Assert.True(error <= e.ErrorBound.Nanoseconds, $"sample {i} ({outcome}): error {error:F0} ns, bound {e.ErrorBound}");
            if (outcome == SampleOutcome.Outlier)
            {
                sawHeld = true;
                Assert.True(e.ErrorBound.Nanoseconds > 19_000, $"held: bound {e.ErrorBound} (quiet {quietBound} ns)");
            }
        }
        Assert.True(sawHeld);

        // An isolated outlier widens the bound only while it is held.
        for (int i = 0; i < 100; i++) { osc.Advance(1); est.Add(osc.Sample()); }
        osc.Advance(1);
        Assert.Equal(SampleOutcome.Outlier, EstimatorKind.Add(est, osc.Sample(extraOffsetNs: 5_000)));
        Assert.True(est.EstimateAt(osc.Now)!.ErrorBound.Nanoseconds > 4_000);
        osc.Advance(1);
        Assert.Equal(SampleOutcome.Accepted, EstimatorKind.Add(est, osc.Sample()));
        Assert.True(est.EstimateAt(osc.Now)!.ErrorBound.Nanoseconds < 1_000);
    }
}
