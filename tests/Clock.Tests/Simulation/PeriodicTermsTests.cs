using Sync.Clock.Simulation;

namespace Sync.Clock.Tests.Simulation;

public class PeriodicTermsTests
{
    [Fact]
    public void EveryPeriodicTermAddsToTheFrequencyAndThePhaseIsItsIntegral()
    {
        var settings = new OscillatorSettings
        {
            OffsetPpm = 3,
            PeriodicAmplitudePpm = 0.5,
            PeriodicPeriodS = 600,
            PeriodicTerms = [new PeriodicTerm { AmplitudePpm = 0.8, PeriodS = 120, PhaseRad = 1.1 }],
        };
        var oscillator = new Oscillator(settings, seed: 1, originTrueNs: 0);

        var t = 37_000_000_000L;
        var expectedPpm = 3 + 0.5 * Math.Sin(2 * Math.PI * 37 / 600) + 0.8 * Math.Sin(2 * Math.PI * 37 / 120 + 1.1);
        Assert.Equal(expectedPpm, oscillator.FrequencyPpmAt(t), 9);

        // Trapezoid integration of the frequency (ppm x 1e-6 x ns) over 0..t matches the closed-form phase.
        double integral = 0;
        const int steps = 37_000;
        var fresh = new Oscillator(settings, seed: 1, originTrueNs: 0);
        var previous = fresh.FrequencyPpmAt(0);
        for (var i = 1; i <= steps; i++)
        {
            var now = fresh.FrequencyPpmAt(t * i / steps);
            integral += (previous + now) / 2 * 1e-6 * (t / (double)steps);
            previous = now;
        }
        Assert.Equal(integral, oscillator.PhaseNsAt(t), 3);
    }

    [Fact]
    public void PeriodicTermsLoadFromJsonAndBadOnesNameTheField()
    {
        var scenario = ScenarioLoader.Parse("""
            { "name": "t", "oscillator": { "periodic_terms": [ { "amplitude_ppm": 0.8, "period_s": 600 }, { "amplitude_ppm": 0.1, "period_s": 7200, "phase_rad": 2 } ] } }
            """);
        Assert.Equal(2, scenario.Oscillator.PeriodicTerms.Count);
        Assert.Equal(7200, scenario.Oscillator.PeriodicTerms[1].PeriodS);

        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("""
            { "name": "t", "oscillator": { "periodic_terms": [ { "amplitude_ppm": 0.8, "period_s": 0 } ] } }
            """));
        Assert.Contains("oscillator.periodic_terms[0].period_s must be > 0", e.Message);
    }
}
