using Sync.Filters.Estimation;

namespace Sync.Filters.Tests.Estimation;

/// <summary>
/// After a jump of the clock (a pause, restore or migration, seen in one sample) the Kalman estimator restarts from
/// that sample keeping the frequency (<see cref="KalmanEstimator.RestartAfterJump"/>). A migration may move the
/// oscillator's rate too: the samples after the restart are judged against the carried prediction, so that rate
/// change is followed at the first sample off that prediction by more than measurement error can explain (it was
/// fitted as if nothing were known yet: random world 2-96 rang for 10 reads).
/// </summary>
public class JumpRestartTests
{
    private const double ReadS = 10;

    private static (KalmanEstimator Est, SyntheticOscillator Osc) Steady()
    {
        var osc = new SyntheticOscillator(new Random(7), offsetNs: 20_000, freqNsPerS: 30_000, wanderNs2PerS3: 1, noiseSdNs: 5);
        var est = new KalmanEstimator();
        for (int i = 0; i < 120; i++) { osc.Advance(ReadS); est.Add(osc.Sample()); }
        return (est, osc);
    }

    [Theory]
    [InlineData(20_000)]
    [InlineData(-9_500)]
    public void ARateChangeThatCameWithTheJumpIsFollowedAtTheFirstSampleThatShowsIt(double deltaNsPerS)
    {
        var (est, osc) = Steady();
        osc.Advance(3);
        osc.Step(50_000_000);
        osc.ChangeFrequency(deltaNsPerS);
        osc.Advance(ReadS - 3);
        ((IClockEstimator)est).RestartAfterJump();
        Assert.Equal(SampleOutcome.Accepted, est.Add(osc.Sample()));
        osc.Advance(ReadS);
        // |delta| x 10 s is 95-200 us off a prediction good to a few ns, far beyond both samples' Error (9 ns): no
        // measurement error explains it, so the rate changed with the jump; the line from the jump's sample through
        // this one is the new rate, followed here (not fitted into the carried frequency, not held for a second one).
        Assert.Equal(SampleOutcome.Discontinuity, est.Add(osc.Sample()));
        Assert.Equal(1, est.RateChangesFollowed);
        var e = est.EstimateAt(osc.Now)!;
        Assert.True(Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs) < 100, $"offset {e.Offset.Nanoseconds} vs true {osc.TrueOffsetNs:0}");
        Assert.True(Math.Abs(e.FrequencyPpm * 1e3 - osc.TrueFreqNsPerS) < 10, $"frequency {e.FrequencyPpm * 1e3:0.0} vs true {osc.TrueFreqNsPerS:0.0} ns/s");
        osc.Advance(ReadS);
        Assert.Equal(SampleOutcome.Accepted, est.Add(osc.Sample()));
        e = est.EstimateAt(osc.Now)!;
        Assert.True(Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs) < 100, $"next read: offset {e.Offset.Nanoseconds} vs true {osc.TrueOffsetNs:0}");
    }

    [Fact]
    public void AfterAJumpAloneTheSecondSampleGivesAnEstimate()
    {
        // The frequency is carried over: the restart sample and one more make an estimate (not MinSamples), so the
        // discipline gets an update a read sooner.
        var (est, osc) = Steady();
        osc.Advance(4);
        osc.Step(-200_000_000);
        osc.Advance(ReadS - 4);
        ((IClockEstimator)est).RestartAfterJump();
        est.Add(osc.Sample());
        osc.Advance(ReadS);
        Assert.Equal(SampleOutcome.Accepted, est.Add(osc.Sample()));
        var e = est.EstimateAt(osc.Now);
        Assert.NotNull(e);
        Assert.True(Math.Abs(e!.Offset.Nanoseconds - osc.TrueOffsetNs) < 50, $"offset {e.Offset.Nanoseconds} vs true {osc.TrueOffsetNs:0}");
        // A restart that knows nothing (Reset) still waits for MinSamples.
        est.Reset();
        osc.Advance(ReadS);
        est.Add(osc.Sample());
        osc.Advance(ReadS);
        est.Add(osc.Sample());
        Assert.Null(est.EstimateAt(osc.Now));
    }
}
