using Sync.Filters.Estimation;

namespace Sync.Filters.Tests.Estimation;

/// <summary>ErrorBound must hold |true - estimate| at least 99.9 % of the time under the modelled noise and stay
/// within 4 x the RMS of the actual error (median bound).</summary>
public class ErrorBoundCoverageTests
{
    private const int Steps = 20_000;

    /// <summary>Steps before judging: the first window fills (64 samples). Warm-up bounds are honest but wide (few
    /// degrees of freedom), and would dominate the mean bound / RMS ratio the target is about.</summary>
    private const int WarmUpSamples = 64;

    internal static (double Coverage, double MeanBoundOverRms, double RmsErrorNs) Run(IClockEstimator est, SyntheticOscillator osc, double intervalS, int steps = Steps)
    {
        int judged = 0, covered = 0;
        double sumSq = 0;
        var bounds = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            osc.Advance(intervalS);
            est.Add(osc.Sample());
            if (i < WarmUpSamples || est.EstimateAt(osc.Now) is not { } e) continue;
            double err = e.Offset.Nanoseconds - osc.TrueOffsetNs;
            judged++;
            if (Math.Abs(err) <= e.ErrorBound.Nanoseconds) covered++;
            sumSq += err * err;
            bounds.Add(e.ErrorBound.Nanoseconds);
        }
        double rms = Math.Sqrt(sumSq / judged);
        // The median bound (issue 14's target: median bound <= 4 x RMS): a few wide bounds while the noise is
        // still being learnt do not decide it.
        bounds.Sort();
        return (covered / (double)judged, bounds[bounds.Count / 2] / rms, rms);
    }

    [Fact]
    public void KalmanBoundCoversWithModelledWanderAndNoise()
    {
        var osc = new SyntheticOscillator(new Random(99), 0, 3_000, wanderNs2PerS3: 1, noiseSdNs: 30);
        var (coverage, ratio, rms) = Run(new KalmanEstimator(new KalmanOptions { Wander = WanderOptions.Fixed(1e-18) }), osc, 1);
        Assert.True(coverage >= 0.999, $"coverage {coverage:F5}, rms {rms:F2} ns, ratio {ratio:F2}");
        Assert.True(ratio <= 4, $"mean bound / rms = {ratio:F2}");
    }

    [Fact]
    public void KalmanLearnsAMisstatedMeasurementError()
    {
        // The samples claim 3x less noise than they have: the innovation-based scale must catch up.
        var osc = new SyntheticOscillator(new Random(98), 0, 3_000, wanderNs2PerS3: 1, noiseSdNs: 30);
        var est = new KalmanEstimator(new KalmanOptions { MeasurementSigmaPerError = 1 / Math.Sqrt(3) / 3 });
        var (coverage, ratio, _) = Run(est, osc, 1);
        Assert.InRange(est.MeasurementNoiseScale, 6, 12);
        Assert.True(coverage >= 0.999, $"coverage {coverage:F5}");
        Assert.True(ratio <= 4, $"mean bound / rms = {ratio:F2}");
    }

    [Fact]
    public void ACrossTimestampThatUnderstatesItsNoiseIsCoveredFromItsTwelfthRead()
    {
        // Random world 1-299: cross-timestamps whose Error says 1 ns scatter 18 ns, read every 40 s from a quiet
        // oscillator. The innovations cannot tell that noise from wander (the bank takes it for wander), so until the
        // third differences measure it the filter trusted the readings to 1 ns and published 4-5 ns bounds for 35
        // reads. Judged from the 12th read (MinCount third differences need 11 samples, plus one).
        int judged = 0, covered = 0;
        var misses = new int[49];
        for (int seed = 0; seed < 60; seed++)
        {
            var osc = new SyntheticOscillator(new Random(300 + seed), 0, 2_000, wanderNs2PerS3: 0.02, noiseSdNs: 18);
            var est = new KalmanEstimator(new KalmanOptions { MeasurementSigmaPerError = 1 / Math.Sqrt(3) / 18 });
            for (int i = 1; i <= 48; i++)
            {
                osc.Advance(40);
                est.Add(osc.Sample());
                if (i < 12 || est.EstimateAt(osc.Now) is not { } e) continue;
                judged++;
                if (Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs) <= e.ErrorBound.Nanoseconds) covered++;
                else misses[i]++;
            }
        }
        Assert.True(covered / (double)judged >= 0.995, $"coverage {covered / (double)judged:F4} of {judged}; misses by read {string.Join(" ", misses)}");
    }

    [Fact]
    public void AJumpKeepsTheLearntNoiseAResetForgetsIt()
    {
        // A pause or migration moves the clock, not the readings' noise: restarting from the jump's sample with the
        // stated Error alone published a bound of a few ns where the readings scatter tens (random world 1-46).
        var osc = new SyntheticOscillator(new Random(98), 0, 3_000, wanderNs2PerS3: 1, noiseSdNs: 30);
        var est = new KalmanEstimator(new KalmanOptions { MeasurementSigmaPerError = 1 / Math.Sqrt(3) / 3 });
        Run(est, osc, 1);
        double learnt = est.MeasurementNoiseScale;
        Assert.True(learnt > 6, $"learnt {learnt:F2}");
        ((IClockEstimator)est).RestartAfterJump();
        Assert.Equal(learnt, est.MeasurementNoiseScale);
        est.Reset();
        Assert.Equal(1.0, est.MeasurementNoiseScale);
    }

    [Fact]
    public void RegressionBoundCoversALineWithWhiteNoise()
    {
        // The runs test makes the regression's misses come in clusters, so one 20,000-step run is a noisy
        // measure of its coverage: pool four independent runs of 10,000 steps.
        double coveredSteps = 0, ratioSum = 0;
        for (int seed = 90; seed < 94; seed++)
        {
            var osc = new SyntheticOscillator(new Random(seed), 0, -7_000, wanderNs2PerS3: 0, noiseSdNs: 30);
            var (coverage, ratio, _) = Run(new RegressionEstimator(), osc, 1, Steps / 2);
            coveredSteps += coverage;
            ratioSum += ratio;
        }
        Assert.True(coveredSteps / 4 >= 0.999, $"coverage {coveredSteps / 4:F5}");
        Assert.True(ratioSum / 4 <= 4, $"mean bound / rms = {ratioSum / 4:F2}");
    }

    [Fact]
    public void KalmanConvergesToTheTrueOffsetAndFrequency()
    {
        var osc = new SyntheticOscillator(new Random(55), offsetNs: -2_000_000, freqNsPerS: 42_000, wanderNs2PerS3: 1, noiseSdNs: 50);
        var est = new KalmanEstimator();
        for (int i = 0; i < 600; i++) { osc.Advance(1); est.Add(osc.Sample()); }
        var e = est.EstimateAt(osc.Now)!;
        Assert.True(Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs) <= 4 * e.OffsetStdDev.Nanoseconds + 1);
        Assert.True(Math.Abs(e.FrequencyPpm - osc.TrueFreqNsPerS / 1e3) <= 4 * e.FrequencyStdDevPpm);
        // 22 ns for a filter told the true wander; the learnt one adds the spread of the wander levels still in play.
        Assert.True(e.OffsetStdDev.Nanoseconds < 30, $"offset sd {e.OffsetStdDev} after 600 samples of 50 ns noise");
        Assert.True(e.FrequencyStdDevPpm < 0.01, $"frequency sd {e.FrequencyStdDevPpm} ppm");
    }
}
