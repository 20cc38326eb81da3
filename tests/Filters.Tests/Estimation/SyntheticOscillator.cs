using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Estimation;

/// <summary>
/// A free-running local clock against a perfect reference: offset and frequency follow the integrated random
/// walk the Kalman model assumes (exact discretisation), samples add white Gaussian noise. Error is set to
/// sigma * sqrt(3), matching the estimators' "uniform within the half-width" reading of Error.
/// </summary>
internal sealed class SyntheticOscillator(Random random, double offsetNs, double freqNsPerS, double wanderNs2PerS3, double noiseSdNs)
{
    public double TrueOffsetNs { get; private set; } = offsetNs;
    public double TrueFreqNsPerS { get; private set; } = freqNsPerS;
    public long TimeNs { get; private set; } = 1_700_000_000L * 1_000_000_000L;
    public double NoiseSdNs { get; set; } = noiseSdNs;

    /// <summary>A sinusoidal frequency term (thermal cycling): amplitude in ns/s (= ppb) and period.</summary>
    public double PeriodicAmplitudeNsPerS { get; set; }
    public double PeriodicPeriodS { get; set; } = 600;
    private double _elapsedS;

    public void Advance(double dtS)
    {
        // Integrated random walk over dt: covariance q [[dt^3/3, dt^2/2], [dt^2/2, dt]].
        double q = wanderNs2PerS3;
        double c00 = Math.Sqrt(q * dtS * dtS * dtS / 3);
        double c10 = c00 > 0 ? q * dtS * dtS / 2 / c00 : 0;
        double c11 = Math.Sqrt(Math.Max(0, q * dtS - c10 * c10));
        double z0 = Gaussian(random), z1 = Gaussian(random);
        TrueOffsetNs += TrueFreqNsPerS * dtS + c00 * z0;
        if (PeriodicAmplitudeNsPerS != 0)
        {
            double w = 2 * Math.PI / PeriodicPeriodS;
            TrueOffsetNs += PeriodicAmplitudeNsPerS * (Math.Cos(w * _elapsedS) - Math.Cos(w * (_elapsedS + dtS))) / w;
        }
        _elapsedS += dtS;
        TrueFreqNsPerS += c10 * z0 + c11 * z1;
        TimeNs += (long)Math.Round(dtS * 1e9);
    }

    public void Step(double stepNs) => TrueOffsetNs += stepNs;
    public void ChangeFrequency(double deltaNsPerS) => TrueFreqNsPerS += deltaNsPerS;

    public Instant<Utc> Now => new(TimeNs);

    public OffsetSample Sample(double extraOffsetNs = 0) => new(
        Now,
        Duration.FromNanoseconds((long)Math.Round(TrueOffsetNs + extraOffsetNs + NoiseSdNs * Gaussian(random))),
        Duration.Zero,
        Duration.FromNanoseconds((long)Math.Round(NoiseSdNs * Math.Sqrt(3))));

    public static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
