using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Estimation;

public class DriftCusumTests
{
    private static readonly Instant<Utc> T0 = Instant<Utc>.FromSeconds(1_800_000_000);

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Fact]
    public void ZeroMeanNoiseRarelyAlarms()
    {
        var random = new Random(11);
        var cusum = new DriftCusum(1, 5);
        var alarms = 0;
        for (var i = 0; i < 20_000; i++)
        {
            if (cusum.Observe(T0 + Duration.FromSeconds(i), 1_000 * Gaussian(random), 1_000))
            {
                alarms++;
                cusum.Reset();
            }
        }
        Assert.True(alarms <= 3, $"{alarms} alarms in 20000 Gaussian samples (expected about 0.5)");
    }

    [Fact]
    public void ARampInsideTheGateAlarmsWithinAFewSamplesAndKeepsItsRun()
    {
        var random = new Random(12);
        var cusum = new DriftCusum(1, 5);
        var at = -1;
        for (var i = 0; i < 60 && at < 0; i++)
            if (cusum.Observe(T0 + Duration.FromSeconds(i), 1_000 * (Gaussian(random) - 0.4 * i), 1_000)) at = i;

        Assert.InRange(at, 3, 15);
        Assert.True(cusum.AlarmRun.Count >= 2 && cusum.AlarmRun.All(r => r.At <= T0 + Duration.FromSeconds(at)));
    }
}

public class KalmanRateChangeTests
{
    private static readonly Instant<Utc> T0 = Instant<Utc>.FromSeconds(1_800_000_000);

    /// <summary>Samples whose noise matches their stated error (sd 58 us: a 100 us half-width), so the outlier gate
    /// is about 290 us wide; at t = 300 s the reference starts running ratePpm fast (the local clock falls behind).</summary>
    private static (KalmanEstimator Kalman, double FrequencyErrorPpm, double OffsetErrorNs) Run(int seed, double ratePpm, double afterS)
    {
        var random = new Random(seed);
        var kalman = new KalmanEstimator();
        const double changeAtS = 300;
        double trueOffsetNs = 0;
        for (var i = 0; i < changeAtS + afterS; i++)
        {
            trueOffsetNs = i < changeAtS ? 0 : -ratePpm * 1e3 * (i - changeAtS);
            double noise = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            kalman.Add(new OffsetSample(T0 + Duration.FromSeconds(i),
                Duration.FromNanoseconds((long)(trueOffsetNs + 57_735 * noise)), Duration.FromMicroseconds(200), Duration.FromMicroseconds(100)));
        }
        var estimate = kalman.EstimateAt(T0 + Duration.FromSeconds(changeAtS + afterS - 1))!;
        return (kalman, estimate.FrequencyPpm - -ratePpm, estimate.Offset.Nanoseconds - trueOffsetNs);
    }

    [Theory]
    [InlineData(30.0)]
    [InlineData(-30.0)]
    public void ARateChangeInsideTheGateIsFollowedNotLearntAsNoise(double ratePpm)
    {
        var failures = new List<string>();
        for (var seed = 1; seed <= 8; seed++)
        {
            var (kalman, freqErrorPpm, offsetErrorNs) = Run(seed, ratePpm, afterS: 30);
            if (Math.Abs(freqErrorPpm) > 10 || Math.Abs(offsetErrorNs) > 100_000 || kalman.MeasurementNoiseScale > 3)
                failures.Add($"seed {seed}: frequency off by {freqErrorPpm:0.0} ppm, offset by {offsetErrorNs / 1e3:0.0} us, noise scale {kalman.MeasurementNoiseScale:0.00}");
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }

    [Fact]
    public void NoRateChangeNoDriftCorrection()
    {
        for (var seed = 1; seed <= 4; seed++)
        {
            var (kalman, freqErrorPpm, _) = Run(seed, 0, afterS: 1_500);
            Assert.Equal(0, kalman.DriftCorrections);
            Assert.True(Math.Abs(freqErrorPpm) < 1, $"seed {seed}: frequency off by {freqErrorPpm:0.00} ppm");
        }
    }
}
