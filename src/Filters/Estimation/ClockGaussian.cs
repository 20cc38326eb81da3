namespace Sync.Filters.Estimation;

/// <summary>
/// A Gaussian belief about a clock: offset (ns) and frequency error (ns/s) with their covariance
/// [[P00, P01], [P01, P11]] (ns^2, ns^2/s, ns^2/s^2). The two-state clock model's algebra, in one place: predict
/// with the integrated random-walk process noise, update with one offset measurement, moment-match mixtures.
/// </summary>
public readonly record struct ClockGaussian(double OffsetNs, double FreqNsPerS, double P00, double P01, double P11)
{
    /// <summary>
    /// The belief dt seconds later (dt may be negative: back in time). The frequency follows a random walk of
    /// intensity wander (ns^2/s^3) and the phase a random walk of intensity diffusion (ns^2/s):
    /// Q = wander [[|dt|^3/3, dt|dt|/2], [dt|dt|/2, |dt|]] + diffusion [[|dt|, 0], [0, 0]].
    /// </summary>
    public ClockGaussian Predict(double dtS, double wanderNs2PerS3, double diffusionNs2PerS)
    {
        double adt = Math.Abs(dtS);
        double p00 = P00 + 2 * dtS * P01 + dtS * dtS * P11 + wanderNs2PerS3 * adt * adt * adt / 3 + diffusionNs2PerS * adt;
        double p01 = P01 + dtS * P11 + wanderNs2PerS3 * dtS * adt / 2;
        double p11 = P11 + wanderNs2PerS3 * adt;
        return new ClockGaussian(OffsetNs + FreqNsPerS * dtS, FreqNsPerS, p00, p01, p11);
    }

    /// <summary>The belief after measuring the offset as zNs with noise variance rNs2 (a scalar Kalman update).</summary>
    public ClockGaussian Update(double zNs, double rNs2)
    {
        double s = P00 + rNs2;
        if (!(s > 0)) return this;
        double innovation = zNs - OffsetNs;
        double k0 = P00 / s, k1 = P01 / s;
        return new ClockGaussian(OffsetNs + k0 * innovation, FreqNsPerS + k1 * innovation,
            (1 - k0) * P00, (1 - k0) * P01, P11 - k1 * P01);
    }

    /// <summary>The same belief moved by a known offset and frequency (a change of frame), its spread widened.</summary>
    public ClockGaussian Shift(double offsetNs, double freqNsPerS, double d00 = 0, double d01 = 0, double d11 = 0) =>
        new(OffsetNs + offsetNs, FreqNsPerS + freqNsPerS, P00 + d00, P01 + d01, P11 + d11);

    /// <summary>Log of the Gaussian density of measuring zNs (noise rNs2) under this belief.</summary>
    public double LogLikelihood(double zNs, double rNs2)
    {
        double s = Math.Max(P00 + rNs2, 1e-300);
        double v = zNs - OffsetNs;
        return -0.5 * (Math.Log(2 * Math.PI * s) + v * v / s);
    }

    /// <summary>The single Gaussian with the mean and covariance of the mixture sum(weights[i] x beliefs[i])
    /// (weights summing to 1).</summary>
    public static ClockGaussian MomentMatch(ReadOnlySpan<ClockGaussian> beliefs, ReadOnlySpan<double> weights)
    {
        double x = 0, f = 0;
        for (int i = 0; i < beliefs.Length; i++)
        {
            x += weights[i] * beliefs[i].OffsetNs;
            f += weights[i] * beliefs[i].FreqNsPerS;
        }
        double p00 = 0, p01 = 0, p11 = 0;
        for (int i = 0; i < beliefs.Length; i++)
        {
            var b = beliefs[i];
            double dx = b.OffsetNs - x, df = b.FreqNsPerS - f;
            p00 += weights[i] * (b.P00 + dx * dx);
            p01 += weights[i] * (b.P01 + dx * df);
            p11 += weights[i] * (b.P11 + df * df);
        }
        return new ClockGaussian(x, f, p00, p01, p11);
    }
}
