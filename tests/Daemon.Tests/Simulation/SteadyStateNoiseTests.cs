using Sync.Daemon.Simulation;
using Sync.Filters.Estimation;

namespace Sync.Daemon.Tests.Simulation;

/// <summary>
/// The closed-form limits the worlds benchmark prints next to the std ratio (SteadyStateNoise) agree with the loops
/// they describe, run sample by sample on a seeded world: linuxptp's PI servo and the Kalman filter with the true
/// noise, both correcting the clock after every read and judged at the reads, before the correction.
/// </summary>
public class SteadyStateNoiseTests
{
    private const int Reads = 200_000;

    /// <summary>Oscillator frequency as a random walk integrated exactly over each interval (offset gathered, and the
    /// frequency change), from a fixed seed.</summary>
    private sealed class World(double qNs2PerS3, double intervalS, int seed)
    {
        private readonly Random _random = new(seed);
        public double FrequencyNsPerS;

        /// <summary>The offset the oscillator gathers over one interval; the frequency moves on.</summary>
        public double Advance()
        {
            double t = intervalS;
            // (xi, eta) with covariance q [[T^3/3, T^2/2], [T^2/2, T]] (eta: the frequency change).
            double z1 = Gaussian(), z2 = Gaussian();
            double sdEta = Math.Sqrt(qNs2PerS3 * t);
            double eta = sdEta * z1;
            double cond = qNs2PerS3 * t * t * t / 3 - qNs2PerS3 * t * t * t / 4; // T^3/12
            double xi = eta * t / 2 + Math.Sqrt(cond) * z2;
            double gathered = FrequencyNsPerS * t + xi;
            FrequencyNsPerS += eta;
            return gathered;
        }

        public double Gaussian()
        {
            double u1 = 1 - _random.NextDouble(), u2 = _random.NextDouble();
            return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
    }

    private static double StdAfterWarmUp(List<double> errors)
    {
        var judged = errors.Skip(errors.Count / 10).ToList();
        double mean = judged.Average();
        return Math.Sqrt(judged.Sum(e => (e - mean) * (e - mean)) / judged.Count);
    }

    [Theory]
    [InlineData(100.0, 1e-2, 1.0)]      // 10 ns reads, quiet oscillator, 1 s
    [InlineData(1e4, 1.0, 0.25)]        // 100 ns reads, 1 ppb/sqrt(s) wander, 4 reads/s
    [InlineData(2500.0, 100.0, 16.0)]   // 50 ns reads, fast wander, slow reads
    public void ThePiServosStdIsWhatItsLoopGivesOnASeededWorld(double rNs2, double qNs2PerS3, double intervalS)
    {
        double kp = Math.Min(0.7 * Math.Pow(intervalS, -0.3), 0.7 / intervalS);
        double ki = Math.Min(0.3 * Math.Pow(intervalS, 0.4), 0.3 / intervalS);
        var world = new World(qNs2PerS3, intervalS, seed: 5);
        world.FrequencyNsPerS = 20_000; // 20 ppm off: the integrator learns it
        double offset = 0, drift = 0;
        var errors = new List<double>(Reads);
        for (int n = 0; n < Reads; n++)
        {
            errors.Add(offset);
            double o = offset + Math.Sqrt(rNs2) * world.Gaussian();
            double ppb = kp * o + drift + ki * o;
            drift += ki * o;
            offset += world.Advance() - ppb * intervalS;
        }

        double predicted = SteadyStateNoise.PiStdNs(rNs2, qNs2PerS3, intervalS, kp, ki);

        Assert.InRange(StdAfterWarmUp(errors) / predicted, 0.97, 1.03);
    }

    [Theory]
    [InlineData(100.0, 1e-2, 1.0)]
    [InlineData(1e4, 1.0, 0.25)]
    [InlineData(2500.0, 100.0, 16.0)]
    public void TheOptimalStdIsWhatTheKalmanFilterWithTheTrueNoiseReachesWhenItCorrectsTheClockAtEveryRead(double rNs2, double qNs2PerS3, double intervalS)
    {
        var world = new World(qNs2PerS3, intervalS, seed: 7);
        world.FrequencyNsPerS = -30_000;
        double offset = 0;
        var belief = new ClockGaussian(0, 0, rNs2, 0, 1e10);
        var errors = new List<double>(Reads);
        for (int n = 0; n < Reads; n++)
        {
            errors.Add(offset);
            belief = belief.Update(offset + Math.Sqrt(rNs2) * world.Gaussian(), rNs2);
            // Step the clock by the estimate and run at the estimated frequency: the belief moves with it.
            double step = -belief.OffsetNs, rate = -belief.FreqNsPerS;
            belief = belief.Shift(step, rate).Predict(intervalS, qNs2PerS3, 0);
            world.FrequencyNsPerS += rate;
            offset += step + world.Advance();
        }

        double predicted = SteadyStateNoise.OptimalStdNs(rNs2, qNs2PerS3, intervalS);

        Assert.InRange(StdAfterWarmUp(errors) / predicted, 0.97, 1.03);
    }

    [Fact]
    public void NoServoBeatsTheOptimumAndThePiFallsBehindItWhereTheOscillatorIsQuietForItsCadence()
    {
        foreach (var t in new[] { 0.1, 1, 16, 64 })
        foreach (var q in new[] { 1e-3, 1, 1e3, 1e6 })
        {
            double kp = Math.Min(0.7 * Math.Pow(t, -0.3), 0.7 / t), ki = Math.Min(0.3 * Math.Pow(t, 0.4), 0.3 / t);
            double optimal = SteadyStateNoise.OptimalStdNs(1e4, q, t), pi = SteadyStateNoise.PiStdNs(1e4, q, t, kp, ki);
            Assert.True(optimal <= pi * 1.0001, $"T {t} q {q}: optimum {optimal} above the PI {pi}");
        }
        // 100 ns reads every second, a quiet oscillator (0.03 ppb/sqrt(s)): the optimum averages for minutes (0.15x).
        Assert.True(SteadyStateNoise.OptimalStdNs(1e4, 1e-3, 1) < 0.2 * SteadyStateNoise.PiStdNs(1e4, 1e-3, 1, 0.7, 0.3));
        // The same reads with 32 ppb/sqrt(s) of wander: the optimum cannot average long either (0.95x).
        Assert.True(SteadyStateNoise.OptimalStdNs(1e4, 1e3, 1) > 0.5 * SteadyStateNoise.PiStdNs(1e4, 1e3, 1, 0.7, 0.3));
    }
}
