using Sync.Filters.Estimation;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Estimation;

public class ChangeDetectorTests
{
    private static readonly Instant<Utc> T0 = new(1_000_000_000_000);

    private static Instant<Utc> At(double s) => T0 + Duration.FromSeconds(s);

    /// <summary>A detector that has seen normal samples every 20 s up to t = 100 s (sd 1000 ns).</summary>
    private static ChangeDetector Settled()
    {
        var detector = new ChangeDetector();
        for (int i = 0; i <= 5; i++) Assert.Equal(ChangeVerdict.Normal, detector.Observe(At(20 * i), 0, 1_000));
        return detector;
    }

    [Fact]
    public void TwoDeviatingSamplesThatAgreeAreAStep()
    {
        var detector = Settled();
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(120), 300_000, 1_000));
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(140), 301_500, 1_000));

        var change = detector.ChangeInRun();

        Assert.NotNull(change);
        Assert.Equal(DiscontinuityKind.Step, change.Value.Change.Kind);
        Assert.InRange(change.Value.Change.Step.Nanoseconds, 300_700, 300_800);
        Assert.Equal(0, change.Value.SlopeNsPerS);
    }

    [Fact]
    public void TwoDeviatingSamplesGrowingFromZeroAreARateChange()
    {
        var detector = Settled();
        // 1 ppm = 1000 ns/s from t = 100 s: 20 us at 120 s, 40 us at 140 s.
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(120), 20_000, 1_000));
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(140), 40_000, 1_000));

        var change = detector.ChangeInRun();

        Assert.NotNull(change);
        Assert.Equal(DiscontinuityKind.FrequencyJump, change.Value.Change.Kind);
        Assert.Equal(Duration.Zero, change.Value.Change.Step);
        Assert.Equal(1_000, change.Value.SlopeNsPerS, 1e-6);
    }

    [Theory]
    [InlineData(30_000, 40_000)]   // same side, neither agreeing nor on a line from zero (its line is 20 us at 100 s)
    [InlineData(30_000, -30_000)]  // opposite sides
    [InlineData(300_000, 320_000)] // a step with a rate change: two points cannot tell it from outliers yet
    [InlineData(11_000, 6_000)]    // step and rate change both near, but the pair neither agrees nor grows
    public void OtherPairsWaitForTheThirdSample(double d1, double d2)
    {
        var detector = Settled();
        detector.Observe(At(120), d1, 1_000);
        detector.Observe(At(140), d2, 1_000);

        Assert.Null(detector.ChangeInRun());
        Assert.Equal(2, detector.RunLength);
    }

    [Fact]
    public void APairTheGateCannotTellApartIsFollowedAsItsLineNeverAsAStep()
    {
        // A 14 ppm rate change read every 40 s where the gate is wide (sd 200 us: the oscillator may move that much
        // between reads): its run-up (-1.1 ms, then -1.66 ms) lies within 3 sd of a flat pair. Step and rate change put
        // the second sample 1.1 ms apart, less than 8 sd of the pair (2.3 ms): the pair cannot tell them apart, but it
        // agrees (and grows from the gate): a change. It is followed as the line through both (its two-point spread
        // holds both hypotheses), a FrequencyJump whose step is the line at the last normal sample (-0.54 ms, below
        // the 1 ms a step needs): read as a step it would have been stepped.
        var detector = new ChangeDetector();
        for (int i = 0; i <= 5; i++) detector.Observe(At(40 * i), 0, 200_000);
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(240), -1_100_000, 200_000));
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(280), -1_660_000, 200_000));

        var change = detector.ChangeInRun();

        Assert.NotNull(change);
        Assert.Equal(DiscontinuityKind.FrequencyJump, change.Value.Change.Kind);
        Assert.Equal(-14_000, change.Value.SlopeNsPerS, 1e-6);
        Assert.Equal(-1_660_000, change.Value.DeviationNs, 1e-6);
        Assert.Equal(-540_000, change.Value.Change.Step.Nanoseconds);
    }

    [Fact]
    public void ARateChangeTheGateCannotTellFromAStepIsFollowedAtTheSecondSample()
    {
        // 250 ns/s from about 92 s, reads every 20 s, sd 1 us: 7 us at 120 s, 12 us at 140 s. A step would put the second
        // sample at 7 us, a rate change from the last normal sample at 14 us: 7 us apart, less than 8 sd of the pair
        // (11.3 us). The pair is 3.5 sd from a step, but it grows along a line that was 2 us (2 sd) off at the last
        // normal sample: a change, not two outliers. Followed as its line now instead of at the third sample (random
        // world 1-158: 1.5 then 2.5 us at 12.6 s reads, recovered 64 s after a migration, 52 s now).
        var detector = Settled();
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(120), 7_000, 1_000));
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(140), 12_000, 1_000));

        var change = detector.ChangeInRun();

        Assert.NotNull(change);
        Assert.Equal(DiscontinuityKind.FrequencyJump, change.Value.Change.Kind);
        Assert.Equal(250, change.Value.SlopeNsPerS, 1e-6);
        Assert.Equal(12_000, change.Value.DeviationNs, 1e-6);
        Assert.Equal(2_000, change.Value.Change.Step.Nanoseconds);
        Assert.Equal(0, detector.RunLength);
    }

    [Fact]
    public void AStepSeenAgainInsideTheWiderGateAfterAHeldSampleIsNoNormalSample()
    {
        // A 20 us step (20 sd) is held; the next prediction reaches two reads ahead, so its gate is wider (sd 5 us). The
        // second sample, 18.5 us, is inside that gate (3.7 sd) but 0.3 sd of the pair from the held one: the step seen
        // again. It continues the run and the pair is decided now (here: a pair step and rate change both fit, followed
        // as its line), instead of being fitted as an ordinary measurement whose offset is partly taken as a rate.
        var detector = Settled();
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(120), 20_000, 1_000));
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(140), 18_500, 5_000));
        Assert.Equal(2, detector.RunLength);

        var change = detector.ChangeInRun();

        Assert.NotNull(change);
        Assert.Equal(18_500, change.Value.DeviationNs, 1e-6);
        Assert.Equal(-75, change.Value.SlopeNsPerS, 1e-6);
    }

    [Theory]
    [InlineData(20_000, 8_000, 5_000)]    // 1.6 sd of the prediction: explained by it
    [InlineData(20_000, -18_500, 5_000)]  // the other side
    [InlineData(60_000, 18_500, 5_000)]   // 3.7 sd of the prediction, but 8 sd of the pair from the held sample
    [InlineData(5_700, 3_300, 1_000)]     // the gate did not widen: a Gaussian tail pair (5.7, then 3.3 sd) stays normal
    public void ASampleInsideTheGateAfterAHeldOneIsNormalUnlessItAgreesWithIt(double heldNs, double residualNs, double sdNs)
    {
        var detector = Settled();
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(120), heldNs, 1_000));
        Assert.Equal(ChangeVerdict.Normal, detector.Observe(At(140), residualNs, sdNs));
        Assert.Equal(0, detector.RunLength);
    }

    [Fact]
    public void AStepWithARateChangeBackThroughZeroIsFoundAtTheThirdSample()
    {
        // A migration: -1.2 ms and +33.3 ppm (33.3 us/s) at 110 s, reads every 20 s: the deviations cross zero, so three of one sign would take two reads more.
        var detector = Settled();
        double Deviation(double t) => -1_200_000 + 33_333 * (t - 110);
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(120), Deviation(120), 1_000));
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(140), Deviation(140), 1_000));
        Assert.Equal(ChangeVerdict.Discontinuity, detector.Observe(At(160), Deviation(160), 1_000));

        var d = detector.Last!;
        Assert.Equal(DiscontinuityKind.FrequencyJump, d.Kind);
        Assert.InRange(d.FrequencyChangePpm, 33.323, 33.343);
        // The line at the last normal sample (100 s): -1.2 ms - 10 s x 33.3 us/s.
        Assert.InRange(d.Step.Nanoseconds, -1_533_400, -1_533_200);
    }

    [Fact]
    public void MixedOutliersOffALineAreNoCrossing()
    {
        var detector = Settled();
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(120), -50_000, 1_000));
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(140), 20_000, 1_000));
        Assert.Equal(ChangeVerdict.Outlier, detector.Observe(At(160), 30_000, 1_000));
    }
}
