using Sync.Filters.Estimation;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Estimation;

public class SharedEstimatorTests
{
    [Theory]
    [InlineData(EstimatorKind.Regression)]
    [InlineData(EstimatorKind.Kalman)]
    public void DeSteeringFollowsFrequencyChangesAndSteps(string kind)
    {
        var random = new Random(21);
        var free = new SyntheticOscillator(random, offsetNs: 50_000, freqNsPerS: 10_000, wanderNs2PerS3: 0, noiseSdNs: 20);
        var est = EstimatorKind.Create(kind);
        var applied = new List<LocalClockAdjustment>();
        double CorrectionNs(Instant<Utc> t) => applied.Where(a => a.At <= t)
            .Sum(a => a.Step.Nanoseconds + a.FrequencyChangePpm * 1e-6 * (t - a.At).Nanoseconds);
        double FreqPpm(Instant<Utc> t) => 10.0 + applied.Where(a => a.At <= t).Sum(a => a.FrequencyChangePpm);

        for (int i = 1; i <= 300; i++)
        {
            free.Advance(1);
            var s = free.Sample(extraOffsetNs: CorrectionNs(free.Now));
            Assert.Equal(SampleOutcome.Accepted, EstimatorKind.Add(est, s));
            if (i >= 10)
            {
                var e = est.EstimateAt(free.Now)!;
                double truth = free.TrueOffsetNs + CorrectionNs(free.Now);
                Assert.True(Math.Abs(e.Offset.Nanoseconds - truth) <= e.ErrorBound.Nanoseconds + 1,
                    $"sample {i}: estimate {e.Offset} truth {truth:F0} bound {e.ErrorBound}");
            }
            LocalClockAdjustment? adjustment = i switch
            {
                100 => new(free.Now + Duration.FromMilliseconds(500), -10.0, Duration.Zero),
                150 => new(free.Now + Duration.FromMilliseconds(500), 0, Duration.FromNanoseconds(-50_000)),
                200 => new(free.Now + Duration.FromMilliseconds(500), 3.0, Duration.FromNanoseconds(2_000)),
                _ => null,
            };
            if (adjustment is { } a)
            {
                applied.Add(a);
                est.NotifyAdjustment(a);
                // Between the adjustment and the next sample the estimate already includes it.
                var mid = a.At + Duration.FromMilliseconds(250);
                var em = est.EstimateAt(mid)!;
                double truthMid = free.TrueOffsetNs + 10_000 * 0.75 + CorrectionNs(mid);
                Assert.True(Math.Abs(em.Offset.Nanoseconds - truthMid) < 100, $"after adjustment {i}: {em.Offset} vs {truthMid:F0}");
                Assert.Equal(FreqPpm(mid), em.FrequencyPpm, 0.01);
            }
        }
        var end = est.EstimateAt(free.Now)!;
        Assert.Equal(3.0, end.FrequencyPpm, 0.005);
        Assert.Null(EstimatorKind.LastDiscontinuity(est));
    }

    [Theory]
    [InlineData(EstimatorKind.Regression)]
    [InlineData(EstimatorKind.Kalman)]
    public void DetectsAStepAndRecovers(string kind)
    {
        var random = new Random(8);
        var osc = new SyntheticOscillator(random, 1_000, 2_000, 1, noiseSdNs: 20);
        var est = EstimatorKind.Create(kind);
        for (int i = 0; i < 100; i++) { osc.Advance(1); EstimatorKind.Add(est, osc.Sample()); }
        osc.Step(10_000);
        var outcomes = new List<SampleOutcome>();
        for (int i = 0; i < 3; i++) { osc.Advance(1); outcomes.Add(EstimatorKind.Add(est, osc.Sample())); }

        // The Kalman filter follows a step at its second deviating sample when the pair agrees (KalmanOptions
        // .FollowChangeAtSecondSample); the regression waits for the third (ChangeDetectorOptions.ConsecutiveSamples).
        Assert.Equal(kind == EstimatorKind.Kalman
            ? [SampleOutcome.Outlier, SampleOutcome.Discontinuity, SampleOutcome.Accepted]
            : [SampleOutcome.Outlier, SampleOutcome.Outlier, SampleOutcome.Discontinuity], outcomes);
        var d = EstimatorKind.LastDiscontinuity(est)!;
        Assert.Equal(DiscontinuityKind.Step, d.Kind);
        Assert.InRange(d.Step.Nanoseconds, 9_900, 10_100);

        for (int i = 0; i < 20; i++) { osc.Advance(1); EstimatorKind.Add(est, osc.Sample()); }
        var e = est.EstimateAt(osc.Now)!;
        Assert.True(Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs) <= e.ErrorBound.Nanoseconds, $"{e.Offset} vs {osc.TrueOffsetNs:F0}");
        Assert.Equal(2.0, e.FrequencyPpm, 0.05);
    }

    [Theory]
    [InlineData(EstimatorKind.Regression)]
    [InlineData(EstimatorKind.Kalman)]
    public void DetectsAFrequencyJump(string kind)
    {
        var random = new Random(9);
        var osc = new SyntheticOscillator(random, 1_000, -3_000, 1, noiseSdNs: 20);
        var est = EstimatorKind.Create(kind);
        for (int i = 0; i < 100; i++) { osc.Advance(1); EstimatorKind.Add(est, osc.Sample()); }
        osc.ChangeFrequency(20_000); // +20 ppm, as a live migration to a different host might
        var outcomes = new List<SampleOutcome>();
        for (int i = 0; i < 3; i++) { osc.Advance(1); outcomes.Add(EstimatorKind.Add(est, osc.Sample())); }

        // The Kalman filter follows a rate change at its second deviating sample (KalmanOptions
        // .FollowChangeAtSecondSample); the regression waits for the third (ChangeDetectorOptions.ConsecutiveSamples).
        Assert.Equal(kind == EstimatorKind.Kalman
            ? [SampleOutcome.Outlier, SampleOutcome.Discontinuity, SampleOutcome.Accepted]
            : [SampleOutcome.Outlier, SampleOutcome.Outlier, SampleOutcome.Discontinuity], outcomes);
        var d = EstimatorKind.LastDiscontinuity(est)!;
        Assert.Equal(DiscontinuityKind.FrequencyJump, d.Kind);
        Assert.InRange(d.FrequencyChangePpm, 19.5, 20.5);
        for (int i = 0; i < 30; i++) { osc.Advance(1); EstimatorKind.Add(est, osc.Sample()); }
        Assert.Equal(17.0, est.EstimateAt(osc.Now)!.FrequencyPpm, 0.05);
    }

    [Theory]
    [InlineData(EstimatorKind.Regression)]
    [InlineData(EstimatorKind.Kalman)]
    public void NoDiscontinuityOnModelledNoise(string kind)
    {
        int outliers = 0;
        for (int seed = 0; seed < 100; seed++)
        {
            var random = new Random(1000 + seed);
            var osc = new SyntheticOscillator(random, 0, 15_000 * (random.NextDouble() - 0.5), 1, noiseSdNs: 5 + 100 * random.NextDouble());
            var est = EstimatorKind.Create(kind);
            for (int i = 0; i < 300; i++)
            {
                osc.Advance(1);
                var outcome = EstimatorKind.Add(est, osc.Sample());
                Assert.NotEqual(SampleOutcome.Discontinuity, outcome);
                if (outcome == SampleOutcome.Outlier) outliers++;
            }
            Assert.Null(EstimatorKind.LastDiscontinuity(est));
        }
        Assert.True(outliers <= 3, $"{outliers} outliers in 30,000 Gaussian samples");
    }

    [Theory]
    [InlineData(EstimatorKind.Regression)]
    [InlineData(EstimatorKind.Kalman)]
    public void IsolatedOutliersAreRejected(string kind)
    {
        var random = new Random(4);
        var osc = new SyntheticOscillator(random, 0, 500, 1, noiseSdNs: 20);
        var est = EstimatorKind.Create(kind);
        var twin = EstimatorKind.Create(kind);
        for (int i = 1; i <= 200; i++)
        {
            osc.Advance(1);
            var s = osc.Sample();
            EstimatorKind.Add(twin, s);
            if (i > 50 && i % 10 == 0)
            {
                var bad = s with { Offset = s.Offset + Duration.FromMicroseconds(i % 20 == 0 ? 50 : -80) };
                Assert.Equal(SampleOutcome.Outlier, EstimatorKind.Add(est, bad));
            }
            else
            {
                Assert.Equal(SampleOutcome.Accepted, EstimatorKind.Add(est, s));
            }
        }
        var e = est.EstimateAt(osc.Now)!;
        Assert.True(Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs) <= e.ErrorBound.Nanoseconds);
        Assert.Null(EstimatorKind.LastDiscontinuity(est));
        Assert.Equal(0.5, e.FrequencyPpm, 0.01);
    }

    [Theory]
    [InlineData(EstimatorKind.Regression)]
    [InlineData(EstimatorKind.Kalman)]
    public void HoldoverBoundGrowsWithTimeSinceLastSample(string kind)
    {
        var random = new Random(12);
        var osc = new SyntheticOscillator(random, 0, 100, 1, noiseSdNs: 20);
        var est = EstimatorKind.Create(kind);
        for (int i = 0; i < 64; i++) { osc.Advance(1); EstimatorKind.Add(est, osc.Sample()); }
        var now = osc.Now;
        long previous = 0;
        foreach (double afterS in new[] { 0.0, 10, 100, 1_000, 10_000 })
        {
            var t = now + Duration.FromSeconds(afterS);
            var bound = est.EstimateAt(t)!.ErrorBound.Nanoseconds;
            Assert.True(bound > previous, $"bound {bound} ns at +{afterS} s not above {previous}");
            Assert.True(EstimatorKind.PredictionErrorAt(est, t)!.Value.Nanoseconds * 3 <= bound);
            previous = bound;
        }
        // After a day with 1 ns^2/s^3 wander the random walk alone is sqrt(86400^3/3) ns ~ 15 ms (1 sigma).
        var day = est.EstimateAt(now + Duration.FromSeconds(86_400))!;
        Assert.True(day.ErrorBound > Duration.FromMilliseconds(15 * 3));
    }

    [Theory]
    [InlineData(EstimatorKind.Regression)]
    [InlineData(EstimatorKind.Kalman)]
    public void ResetForgetsHistory(string kind)
    {
        var random = new Random(2);
        var osc = new SyntheticOscillator(random, 0, 100, 1, noiseSdNs: 20);
        var est = EstimatorKind.Create(kind);
        for (int i = 0; i < 10; i++) { osc.Advance(1); EstimatorKind.Add(est, osc.Sample()); }
        Assert.NotNull(est.EstimateAt(osc.Now));
        est.Reset();
        Assert.Null(est.EstimateAt(osc.Now));
        osc.Step(1_000_000);
        for (int i = 0; i < 5; i++) { osc.Advance(1); Assert.Equal(SampleOutcome.Accepted, EstimatorKind.Add(est, osc.Sample())); }
        Assert.Equal(5, est.EstimateAt(osc.Now)!.SampleCount);
    }
}
