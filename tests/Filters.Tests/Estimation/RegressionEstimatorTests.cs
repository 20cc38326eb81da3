using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Estimation;

public class RegressionEstimatorTests
{
    [Fact]
    public void FitsAKnownLineWithinItsStandardDeviation()
    {
        var random = new Random(11);
        var osc = new SyntheticOscillator(random, offsetNs: 25_000, freqNsPerS: 5_000, wanderNs2PerS3: 0, noiseSdNs: 50);
        var est = new RegressionEstimator();
        for (int i = 0; i < 64; i++) { osc.Advance(1); est.Add(osc.Sample()); }

        var e = est.EstimateAt(osc.Now)!;
        Assert.Equal(64, e.SampleCount);
        double offsetErr = e.Offset.Nanoseconds - osc.TrueOffsetNs;
        double freqErrPpm = e.FrequencyPpm - 5.0;
        Assert.True(Math.Abs(offsetErr) < 4 * e.OffsetStdDev.Nanoseconds, $"offset error {offsetErr} vs sd {e.OffsetStdDev}");
        Assert.True(Math.Abs(freqErrPpm) < 4 * e.FrequencyStdDevPpm, $"freq error {freqErrPpm} vs sd {e.FrequencyStdDevPpm}");
        // Theory for n equally spaced, equally weighted points: sd(end) = sigma sqrt((4n-2)/(n(n+1))).
        double expectedSd = 50 * Math.Sqrt((4.0 * 64 - 2) / (64 * 65));
        Assert.InRange(e.OffsetStdDev.Nanoseconds, 0.6 * expectedSd, 1.5 * expectedSd);
        Assert.True(e.ErrorBound > e.OffsetStdDev * 3);
    }

    [Fact]
    public void FrequencyMatchesClosedFormFitOfTheSamples()
    {
        var random = new Random(5);
        var est = new RegressionEstimator(new RegressionOptions { RunsTestSignificance = 1e-300, MinSamplesForDetection = 1000, MaxSamples = 1000 });
        long t0 = 1_000_000_000_000;
        var samples = new List<OffsetSample>();
        for (int i = 0; i < 40; i++)
        {
            long errNs = 10 + random.Next(90);
            var s = new OffsetSample(new Instant<Utc>(t0 + i * 2_000_000_000L + random.Next(1000)),
                Duration.FromNanoseconds(7_000_000 + 800 * i + random.Next(-200, 200)), Duration.Zero, Duration.FromNanoseconds(errNs));
            samples.Add(s);
            Assert.Equal(SampleOutcome.Accepted, est.Add(s));
        }
        long originNs = samples[^1].LocalTime.Nanoseconds;
        double sw = 0, swx = 0, swy = 0, swxx = 0, swxy = 0;
        foreach (var s in samples)
        {
            double w = 1.0 / ((double)s.Error.Nanoseconds * s.Error.Nanoseconds);
            double x = (s.LocalTime.Nanoseconds - originNs) / 1e9, y = s.Offset.Nanoseconds;
            sw += w; swx += w * x; swy += w * y; swxx += w * x * x; swxy += w * x * y;
        }
        double slope = (sw * swxy - swx * swy) / (sw * swxx - swx * swx);
        double intercept = (swy - slope * swx) / sw;

        var e = est.EstimateAt(samples[^1].LocalTime)!;
        Assert.True(Math.Abs(e.FrequencyPpm - slope / 1e3) <= 1e-9 * Math.Abs(slope / 1e3), $"{e.FrequencyPpm:R} vs {slope / 1e3:R}");
        Assert.Equal(Math.Round(intercept), e.Offset.Nanoseconds);
    }

    [Fact]
    public void RunsTestDropsOldSamplesAfterAFrequencyChange()
    {
        var random = new Random(3);
        var osc = new SyntheticOscillator(random, 0, 1_000, 0, noiseSdNs: 10);
        // Detector off, so only the runs test can react.
        var est = new RegressionEstimator(new RegressionOptions { Detector = new ChangeDetectorOptions { ThresholdSigmas = 100 } });
        for (int i = 0; i < 64; i++) { osc.Advance(1); est.Add(osc.Sample()); }
        Assert.True(est.SampleCount >= 40, $"kept {est.SampleCount} of 64 on a clean line");

        osc.ChangeFrequency(50); // +0.05 ppm: 5 sigma of drift in 1 s, invisible to a single sample
        for (int i = 0; i < 20; i++) { osc.Advance(1); est.Add(osc.Sample()); }

        var e = est.EstimateAt(osc.Now)!;
        Assert.True(est.SampleCount < 40, $"still {est.SampleCount} samples after the frequency change");
        Assert.True(est.RunsTestDrops > 0);
        Assert.InRange(e.FrequencyPpm, 1.050 - 0.015, 1.050 + 0.015);
        Assert.True(Math.Abs(e.Offset.Nanoseconds - osc.TrueOffsetNs) < 30);
    }

    [Fact]
    public void OutOfOrderAndInvalidSamplesAreIgnored()
    {
        var est = new RegressionEstimator();
        var t = new Instant<Utc>(1_000_000_000_000);
        Assert.Equal(SampleOutcome.Accepted, est.Add(new OffsetSample(t, Duration.FromNanoseconds(5), Duration.Zero, Duration.FromNanoseconds(1))));
        Assert.Equal(SampleOutcome.OutOfOrder, est.Add(new OffsetSample(t, Duration.FromNanoseconds(5), Duration.Zero, Duration.FromNanoseconds(1))));
        Assert.Equal(SampleOutcome.Invalid, est.Add(new OffsetSample(t + Duration.FromSeconds(1), Duration.Zero, Duration.Zero, Duration.FromNanoseconds(-1))));
        Assert.Null(est.EstimateAt(t));
        Assert.Equal(1, est.SampleCount);
    }

    [Fact]
    public void OptionsAreValidatedWithTheKeyName()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RegressionEstimator(new RegressionOptions { MaxSamples = 2 }));
        Assert.Contains("MaxSamples", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => new KalmanEstimator(new KalmanOptions { BoundSigmas = 0 }));
        Assert.Contains("BoundSigmas", ex2.Message);
    }
}
