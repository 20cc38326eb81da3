using Sync.Filters.Estimation;

namespace Sync.Filters.Tests.Estimation;

/// <summary>
/// maxerror bounds |true offset|, the clock's own distance from the reference. A disciplined clock sits near zero and
/// the estimate says it is e off, with an error around e the estimator knows the distribution of: the quantile of
/// |true offset| under it (<see cref="ClockEstimate.TrueOffsetBound"/>) is the bound. |e| + ErrorBound (the triangle
/// inequality) counts e in full on top of an error that is as likely to reduce it as to add to it.
/// </summary>
public class TrueOffsetBoundTests
{
    [Theory]
    [InlineData(0.25, 20.0)]
    [InlineData(1.0, 5.0)]
    public void TheBoundOnAClockNearZeroIsTheQuantileOfItsTrueOffsetNotTheEstimatePlusItsError(double intervalS, double noiseNs)
    {
        // A clock held at zero (as the discipline holds it), read with cross-timestamps of noiseNs.
        var osc = new SyntheticOscillator(new Random(17), 0, 0, 0, noiseNs);
        var est = new KalmanEstimator();
        int judged = 0, covered = 0;
        double offsets = 0, saved = 0;
        for (int i = 0; i < 6_000; i++)
        {
            osc.Advance(intervalS);
            est.Add(osc.Sample());
            if (i < 200 || est.EstimateAt(osc.Now) is not { } e) continue;
            Assert.NotNull(e.TrueOffsetBound);
            // Never wider than the sum (which, with the offset rounded to whole ns, can be 1 ns narrower near zero).
            var bound = e.BoundOnTrueOffset.Nanoseconds;
            long triangle = Math.Abs(e.Offset.Nanoseconds) + e.ErrorBound.Nanoseconds;
            Assert.True(bound <= triangle && bound >= e.TrueOffsetBound!.Value.Nanoseconds - 1, $"bound {bound} ns, |offset| + error bound {triangle} ns");
            judged++;
            if (Math.Abs(osc.TrueOffsetNs) <= bound) covered++;
            offsets += Math.Abs(e.Offset.Nanoseconds);
            saved += triangle - bound;
        }
        Assert.True(covered >= 0.999 * judged, $"covered {covered} of {judged}");
        // Here |e| is the estimate's own error (the clock is at zero), of the order of its sd: the quantile of |true
        // offset| is narrower than the sum by a fifth to a quarter of |e| (0.19 sd at |e| = 1 sd, 0.17 sd of 0.3 sd).
        Assert.True(saved >= 0.15 * offsets, $"saved {saved / judged:F2} ns of a mean |offset| {offsets / judged:F2} ns");
    }

    [Fact]
    public void FarFromZeroTheBoundIsTheOffsetPlusTheOneSidedQuantile()
    {
        // An unsteered clock 3 us/s off: |e| is far beyond the error, whose far tail alone can miss: the bound is
        // |e| plus about 3.3 sd (the one-sided quantile for the same miss probability), not less than |e|.
        var osc = new SyntheticOscillator(new Random(18), 50_000, 3_000, 1, 20);
        var est = new KalmanEstimator();
        for (int i = 0; i < 1_000; i++) { osc.Advance(1); est.Add(osc.Sample()); }
        var e = est.EstimateAt(osc.Now)!;
        var bound = e.TrueOffsetBound!.Value.Nanoseconds;
        long offset = Math.Abs(e.Offset.Nanoseconds);
        Assert.InRange(bound, offset + e.ErrorBound.Nanoseconds - e.ErrorBound.Nanoseconds / 10 - 1, offset + e.ErrorBound.Nanoseconds);
        Assert.True(Math.Abs(osc.TrueOffsetNs) <= bound);
    }
}
