namespace Sync.Daemon.Simulation;

/// <summary>
/// What the physics of a world allows, in closed loop, at the instants the clock is read: readings every T seconds
/// with white error of variance R (ns^2), an oscillator whose frequency is a random walk of intensity q (ns^2/s^3).
/// The error recorded at a read is the clock's offset before that read's correction takes effect (simulation traces
/// and the figures of docs/scenarios.md), so:
/// <list type="bullet">
/// <item><see cref="OptimalStdNs"/>: no controller can do better than the steady-state one-step prediction error of
/// the Kalman filter with the true q and R (the offset at read n is set by corrections that knew reads up to n-1).</item>
/// <item><see cref="PiStdNs"/>: linuxptp's PI servo (gains kp, ki per second as in pi.c: ppb = kp o + drift + ki o,
/// drift += ki o) closed around the same readings: the stationary covariance of its loop (a Lyapunov equation).</item>
/// </list>
/// Both in one model (the frequency random walk integrated exactly over each interval), so their ratio is the best
/// std ratio any estimator can reach against the PI for those readings.
/// Pure arithmetic.
/// </summary>
public static class SteadyStateNoise
{
    /// <summary>sqrt of the steady-state one-step prediction variance of the offset (ns), or 0 when q = 0 (a perfect
    /// oscillator is learnt exactly in the end).</summary>
    public static double OptimalStdNs(double rNs2, double qNs2PerS3, double intervalS)
    {
        if (!(rNs2 >= 0) || !(qNs2PerS3 >= 0) || !(intervalS > 0)) throw new ArgumentOutOfRangeException(nameof(intervalS), "R, q >= 0 and T > 0");
        if (qNs2PerS3 == 0) return 0;
        double t = intervalS;
        double q00 = qNs2PerS3 * t * t * t / 3, q01 = qNs2PerS3 * t * t / 2, q11 = qNs2PerS3 * t;
        // Posterior after one read with no knowledge of the frequency: start wide and iterate the Riccati equation.
        double p00 = rNs2, p01 = 0, p11 = 1e12;
        double prior00 = 0;
        for (int i = 0; i < 100_000; i++)
        {
            double m00 = p00 + 2 * t * p01 + t * t * p11 + q00;
            double m01 = p01 + t * p11 + q01;
            double m11 = p11 + q11;
            double s = m00 + rNs2;
            double k0 = s > 0 ? m00 / s : 0, k1 = s > 0 ? m01 / s : 0;
            p00 = (1 - k0) * m00;
            p01 = (1 - k0) * m01;
            p11 = m11 - k1 * m01;
            if (i > 10 && Math.Abs(m00 - prior00) <= 1e-12 * m00) { prior00 = m00; break; }
            prior00 = m00;
        }
        return Math.Sqrt(Math.Max(0, prior00));
    }

    /// <summary>
    /// Stationary std (ns) of the PI's clock offset at its reads: state x (offset) and e (oscillator frequency minus
    /// the PI's drift term, as offset gathered per interval), reading o = x + v:
    /// x' = x + e - (a + b) o + xi, e' = e - b o + eta, a = kp T, b = ki T, (xi, eta) the random walk's offset and
    /// per-interval frequency change (covariance q [[T^3/3, T^3/2], [T^3/2, T^3]]). Infinity when the loop is unstable.
    /// </summary>
    public static double PiStdNs(double rNs2, double qNs2PerS3, double intervalS, double kpPerS, double kiPerS)
    {
        if (!(rNs2 >= 0) || !(qNs2PerS3 >= 0) || !(intervalS > 0)) throw new ArgumentOutOfRangeException(nameof(intervalS), "R, q >= 0 and T > 0");
        double t = intervalS, a = kpPerS * t, b = kiPerS * t;
        // A = [[1 - (a + b), 1], [-b, 1]], B = [-(a + b), -b] (the reading noise's way in).
        double a00 = 1 - (a + b), a01 = 1, a10 = -b, a11 = 1;
        double b0 = -(a + b), b1 = -b;
        double q00 = qNs2PerS3 * t * t * t / 3, q01 = qNs2PerS3 * t * t * t / 2, q11 = qNs2PerS3 * t * t * t;
        // Stable iff both roots of z^2 - (a00 + a11) z + det lie inside the unit circle (Jury's conditions).
        double tr = a00 + a11, det = a00 * a11 - a01 * a10;
        if (!(Math.Abs(det) < 1 && Math.Abs(tr) < 1 + det)) return double.PositiveInfinity;
        // P = A P A' + R B B' + Q, solved by iteration (the spectral radius is below 1).
        double p00 = 0, p01 = 0, p11 = 0;
        for (int i = 0; i < 1_000_000; i++)
        {
            double n00 = a00 * a00 * p00 + 2 * a00 * a01 * p01 + a01 * a01 * p11 + rNs2 * b0 * b0 + q00;
            double n01 = a00 * a10 * p00 + (a00 * a11 + a01 * a10) * p01 + a01 * a11 * p11 + rNs2 * b0 * b1 + q01;
            double n11 = a10 * a10 * p00 + 2 * a10 * a11 * p01 + a11 * a11 * p11 + rNs2 * b1 * b1 + q11;
            bool done = Math.Abs(n00 - p00) <= 1e-13 * Math.Max(n00, 1e-300) && Math.Abs(n11 - p11) <= 1e-13 * Math.Max(n11, 1e-300);
            p00 = n00; p01 = n01; p11 = n11;
            if (done) break;
        }
        return Math.Sqrt(Math.Max(0, p00));
    }
}
