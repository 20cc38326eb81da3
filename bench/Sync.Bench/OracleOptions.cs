using Sync.Clock.Simulation;
using Sync.Filters.Engine;

namespace Sync.Bench;

/// <summary>
/// The oracle: virtsync's Kalman structure given the world's true frequency noise instead of learning or assuming
/// it: the yardstick for "close to the limit". Its frequency process noise q (s^2/s^3) is the oscillator's random
/// walk (wander^2) plus, for each periodic term A sin(2 pi t / P), the random walk that matches the term's frequency
/// change over the filter's own time constant tau: A^2 w^2 tau / 2 (w = 2 pi / P), where tau = (R T / q)^(1/4) is
/// the time constant of a Kalman filter with that q, measurement variance R (from the world's delay model) and
/// read interval T (solved by a few fixed-point iterations).
/// </summary>
public static class OracleOptions
{
    public static SyncEngineOptions For(Scenario scenario, SyncEngineOptions options) =>
        options with { Kalman = options.Kalman with { Wander = Sync.Filters.Estimation.WanderOptions.Fixed(FrequencyNoise(scenario)) } };

    /// <summary>The world's frequency process noise, s^2/s^3.</summary>
    public static double FrequencyNoise(Scenario scenario)
    {
        var wander = scenario.Oscillator.WanderPpmPerSqrtS * 1e-6;
        var walk = wander * wander;
        var terms = scenario.Oscillator.AllPeriodicTerms().Where(t => t.AmplitudePpm != 0).ToList();
        var r = MeasurementVarianceS2(scenario);
        var readS = scenario.ReadIntervalS;
        var q = Math.Max(walk, 1e-24);
        for (var i = 0; i < 20; i++)
        {
            var tau = Math.Pow(r * readS / q, 0.25);
            var periodic = terms.Sum(t =>
            {
                var a = t.AmplitudePpm * 1e-6;
                var w = 2 * Math.PI / t.PeriodS;
                return a * a * w * w * Math.Min(tau, t.PeriodS / (2 * Math.PI)) / 2;
            });
            q = Math.Max(walk + periodic, 1e-24);
        }
        return q;
    }

    /// <summary>Variance (s^2) of one reduced reading's error: the read point's spread around the midpoint.</summary>
    public static double MeasurementVarianceS2(Scenario scenario)
    {
        var d = scenario.Delay;
        double ns2;
        if (scenario.Method == Sync.Filters.Samples.ReadingMethod.Precise)
            ns2 = d.PreciseErrorNs * d.PreciseErrorNs;
        else
        {
            var meanDelay = d.BaseDelayNs + d.JitterNs;
            var jitterVar = d.JitterDistribution == "lognormal" ? d.JitterNs * d.JitterNs * (Math.E - 1) : d.JitterNs * d.JitterNs;
            var m = d.AsymmetryFraction - 0.5;
            var u2 = d.AsymmetrySpread * d.AsymmetrySpread / 3;
            var perSample = (m * m + u2) * (jitterVar + meanDelay * meanDelay) - m * m * meanDelay * meanDelay;
            ns2 = perSample / Math.Max(1, scenario.SamplesPerReading);
        }
        return Math.Max(ns2, 1) * 1e-18;
    }
}
