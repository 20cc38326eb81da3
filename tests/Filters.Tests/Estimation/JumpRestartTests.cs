using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

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
    public void AWideWindowIsCountedOnceWhenTheFirstSampleAfterTheJumpShowsANewRate()
    {
        // Bracketed readings: each sample's Error is its 120 us window's half (the truth lies inside it), its scatter
        // 1.5 us (learnt). A migration's 12 ppm at 17 s reads puts the first sample after the jump 204 us off the
        // carried prediction: beyond both windows (120 us) and 5 sigma of what the prediction and the jump sample's
        // learnt scatter add (~10 us), so no reading error explains it. The jump sample's window counted a second time,
        // as 5 sd of its stated spread (173 us), hid it until the third sample.
        const double readS = 17, errorNs = 60_000;
        var osc = new SyntheticOscillator(new Random(11), offsetNs: 20_000, freqNsPerS: -30_000, wanderNs2PerS3: 1, noiseSdNs: 1_500);
        OffsetSample Read() => osc.Sample() with { Error = Duration.FromNanoseconds((long)errorNs) };
        var est = new KalmanEstimator();
        for (int i = 0; i < 150; i++) { osc.Advance(readS); est.Add(Read()); }
        osc.Advance(5);
        osc.Step(-10_000_000);
        osc.ChangeFrequency(12_000);
        osc.Advance(readS - 5);
        ((IClockEstimator)est).RestartAfterJump();
        Assert.Equal(SampleOutcome.Accepted, est.Add(Read()));
        osc.Advance(readS);
        Assert.Equal(SampleOutcome.Discontinuity, est.Add(Read()));
        Assert.Equal(1, est.RateChangesFollowed);
        var e = est.EstimateAt(osc.Now)!;
        Assert.True(Math.Abs(e.FrequencyPpm * 1e3 - osc.TrueFreqNsPerS) < 1_000, $"frequency {e.FrequencyPpm * 1e3:0} vs true {osc.TrueFreqNsPerS:0} ns/s");
        Assert.True(Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs) < 10_000, $"offset {e.Offset.Nanoseconds} vs true {osc.TrueOffsetNs:0}");
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
