using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Bench;

/// <summary>
/// Regression (chrony style) against Kalman (ntpd-rs style) on synthetic data: an oscillator whose frequency
/// is a random walk, sampled once a second with white Gaussian noise at several levels. Prints the RMS error of
/// offset and frequency after a 64-sample warm-up, the error-bound coverage and the mean bound / RMS ratio.
/// </summary>
public static class EstimatorComparison
{
    private const int Steps = 20_000;
    private const int WarmUp = 64;
    private const int Seed = 2026;

    public static void Run()
    {
        Console.WriteLine("Estimator comparison: 1 s samples, random-walk frequency, white measurement noise");
        Console.WriteLine($"{Steps} steps per run, statistics after {WarmUp} samples, seed {Seed}");
        Console.WriteLine();
        Console.WriteLine("| wander s^2/s^3 | noise ns | estimator  | RMS offset ns | RMS freq ppb | coverage | bound/RMS |");
        Console.WriteLine("|---------------:|---------:|------------|--------------:|-------------:|---------:|----------:|");
        foreach (double wander in new[] { 1e-18, 1e-16 })
        foreach (double noiseNs in new[] { 5.0, 50.0, 500.0 })
        {
            var reg = Simulate(new RegressionEstimator(new RegressionOptions { FrequencyWanderS2PerS3 = wander }), wander, noiseNs);
            var kal = Simulate(new KalmanEstimator(new KalmanOptions { Wander = WanderOptions.Fixed(wander) }), wander, noiseNs);
            Print(wander, noiseNs, "regression", reg);
            Print(wander, noiseNs, "kalman", kal);
            string better = reg.RmsOffsetNs < kal.RmsOffsetNs ? "regression" : "kalman";
            double factor = Math.Max(reg.RmsOffsetNs, kal.RmsOffsetNs) / Math.Min(reg.RmsOffsetNs, kal.RmsOffsetNs);
            Console.WriteLine($"| {"",14} | {"",8} | better: {better} by {factor:F2}x in offset |  |  |  |  |");
        }
    }

    private readonly record struct Result(double RmsOffsetNs, double RmsFreqPpb, double Coverage, double BoundOverRms);

    private static void Print(double wander, double noiseNs, string name, Result r) =>
        Console.WriteLine($"| {wander,14:G2} | {noiseNs,8:F0} | {name,-10} | {r.RmsOffsetNs,13:F2} | {r.RmsFreqPpb,12:F3} | {r.Coverage,8:F5} | {r.BoundOverRms,9:F2} |");

    private static Result Simulate(IClockEstimator estimator, double wanderS2PerS3, double noiseNs)
    {
        var random = new Random(Seed);
        double wander = wanderS2PerS3 * 1e18; // ns^2/s^3
        double offsetNs = 20_000, freqNsPerS = 12_000;
        long timeNs = 1_800_000_000L * 1_000_000_000L;
        const double dt = 1;
        double c00 = Math.Sqrt(wander * dt * dt * dt / 3);
        double c10 = c00 > 0 ? wander * dt * dt / 2 / c00 : 0;
        double c11 = Math.Sqrt(Math.Max(0, wander * dt - c10 * c10));
        double sumOffset2 = 0, sumFreq2 = 0, sumBound = 0;
        int judged = 0, covered = 0;
        for (int i = 0; i < Steps; i++)
        {
            double z0 = Gaussian(random), z1 = Gaussian(random);
            offsetNs += freqNsPerS * dt + c00 * z0;
            freqNsPerS += c10 * z0 + c11 * z1;
            timeNs += (long)(dt * 1e9);
            var now = new Instant<Utc>(timeNs);
            estimator.Add(new OffsetSample(now,
                Duration.FromNanoseconds((long)Math.Round(offsetNs + noiseNs * Gaussian(random))),
                Duration.Zero,
                Duration.FromNanoseconds((long)Math.Round(noiseNs * Math.Sqrt(3)))));
            if (i < WarmUp || estimator.EstimateAt(now) is not { } e) continue;
            double errNs = e.Offset.Nanoseconds - offsetNs;
            double errPpb = e.FrequencyPpm * 1e3 - freqNsPerS;
            sumOffset2 += errNs * errNs;
            sumFreq2 += errPpb * errPpb;
            sumBound += e.ErrorBound.Nanoseconds;
            judged++;
            if (Math.Abs(errNs) <= e.ErrorBound.Nanoseconds) covered++;
        }
        double rms = Math.Sqrt(sumOffset2 / judged);
        return new Result(rms, Math.Sqrt(sumFreq2 / judged), covered / (double)judged, sumBound / judged / rms);
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
