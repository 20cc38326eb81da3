using Sync.Filters.Estimation;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Estimation;

/// <summary>
/// A rate change whose first two deviating reads the gate cannot tell from a step (each only 5-11 sd of the
/// prediction off) is followed at the second read as the line through both, with that line's uncertainty: the
/// estimate is right within it at once and the following reads are used as ordinary measurements (it was held for a
/// third read: random worlds 1-158 and 2-56 at 12.6 s reads recovered in 64-68 s after a migration).
/// </summary>
public class PairDecisionTests
{
    private const double ReadS = 12.6;

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    public void ARateChangeOfAFewSdPerReadIsFollowedAtTheSecondDeviatingRead(int seed)
    {
        var osc = new SyntheticOscillator(new Random(seed), offsetNs: 3_000, freqNsPerS: 20_000, wanderNs2PerS3: 1e-3, noiseSdNs: 150);
        var est = new KalmanEstimator();
        for (int i = 0; i < 200; i++) { osc.Advance(ReadS); est.Add(osc.Sample()); }
        // How far off the prediction a sample may lie (the gate's sd) at the next read.
        double gateSdNs = Math.Sqrt(Math.Pow(est.PredictionErrorAt(osc.Now + Duration.FromSeconds(ReadS))!.Value.Nanoseconds, 2)
            + est.MeasurementNoiseScale * 150 * 150);
        // 8 gate sd per read: the first deviating read is beyond the 5 sd gate; a step and a rate change put the second
        // 8 gate sd (5.7 pair sd) apart, less than the 8 pair sd that tell them apart (waiting for the third read cost
        // a read).
        double deltaNsPerS = 8 * gateSdNs / ReadS;
        osc.Advance(0.1);
        osc.ChangeFrequency(deltaNsPerS);
        osc.Advance(ReadS - 0.1);
        Assert.Equal(SampleOutcome.Outlier, est.Add(osc.Sample()));
        osc.Advance(ReadS);
        Assert.Equal(SampleOutcome.Discontinuity, est.Add(osc.Sample()));
        Assert.Equal(1, est.RateChangesFollowed);
        Assert.Equal(0, est.StepsFollowed);
        Assert.Equal(DiscontinuityKind.FrequencyJump, est.LastDiscontinuity!.Kind);
        var e = est.EstimateAt(osc.Now)!;
        double freqSdNsPerS = e.FrequencyStdDevPpm * 1e3;
        Assert.True(Math.Abs(e.FrequencyPpm * 1e3 - osc.TrueFreqNsPerS) < 3 * freqSdNsPerS,
            $"frequency {e.FrequencyPpm * 1e3:0.0} vs true {osc.TrueFreqNsPerS:0.0} ns/s (sd {freqSdNsPerS:0.0}, change {deltaNsPerS:0.0})");
        Assert.True(Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs) <= e.ErrorBound.Nanoseconds,
            $"offset {e.Offset.Nanoseconds} vs true {osc.TrueOffsetNs:0}, bound {e.ErrorBound.Nanoseconds}");
        // The following reads are ordinary measurements of the followed line, and it converges on the new rate.
        for (int i = 0; i < 6; i++)
        {
            osc.Advance(ReadS);
            Assert.Equal(SampleOutcome.Accepted, est.Add(osc.Sample()));
        }
        e = est.EstimateAt(osc.Now)!;
        Assert.True(Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs) <= e.ErrorBound.Nanoseconds,
            $"6 reads later: offset {e.Offset.Nanoseconds} vs true {osc.TrueOffsetNs:0}, bound {e.ErrorBound.Nanoseconds}");
        Assert.True(Math.Abs(e.FrequencyPpm * 1e3 - osc.TrueFreqNsPerS) < deltaNsPerS / 4,
            $"6 reads later: frequency {e.FrequencyPpm * 1e3:0.0} vs true {osc.TrueFreqNsPerS:0.0} ns/s");
        Assert.Equal(1, est.RateChangesFollowed);
    }
}
