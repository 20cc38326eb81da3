using Sync.Clock.Simulation;

namespace Sync.Clock.Tests.Simulation;

public class OscillatorTests
{
    private const long S = 1_000_000_000L;

    [Fact]
    public void ConstantOffsetGainsPpmTimesElapsed()
    {
        var osc = new Oscillator(new OscillatorSettings { OffsetPpm = 10 }, 1, 0);
        Assert.Equal(10_000, osc.PhaseNsAt(1 * S), 6);
        Assert.Equal(36_000_000, osc.PhaseNsAt(3600 * S), 3);
        Assert.Equal(10, osc.FrequencyPpmAt(3600 * S), 9);
    }

    [Fact]
    public void PeriodicTermIntegratesToItsClosedForm()
    {
        var settings = new OscillatorSettings { PeriodicAmplitudePpm = 2, PeriodicPeriodS = 100 };
        var osc = new Oscillator(settings, 1, 0);
        // Numerical integral of 2 ppm x sin(2 pi t / 100 s) over 0..30 s.
        double numeric = 0;
        const int steps = 30_000;
        for (var i = 0; i < steps; i++)
        {
            var t = (i + 0.5) * 30.0 / steps;
            numeric += 2e-6 * Math.Sin(2 * Math.PI * t / 100) * (30.0 / steps) * 1e9;
        }
        Assert.Equal(numeric, osc.PhaseNsAt(30 * S), 1);
        Assert.Equal(0, osc.PhaseNsAt(100 * S), 3); // a whole period integrates to zero
    }

    [Fact]
    public void JumpsChangeFrequencyFromTheirInstant()
    {
        var osc = new Oscillator(new OscillatorSettings { OffsetPpm = 1 }, 1, 0);
        osc.AddJump(10 * S, 30);
        Assert.Equal(1, osc.FrequencyPpmAt(9 * S), 9);
        Assert.Equal(10_000, osc.PhaseNsAt(10 * S), 6);
        Assert.Equal(31, osc.FrequencyPpmAt(10 * S), 9);
        Assert.Equal(20_000 + 300_000, osc.PhaseNsAt(20 * S), 6);
    }

    [Fact]
    public void RandomWalkIsDeterministicBySeedAndWandersAsConfigured()
    {
        var settings = new OscillatorSettings { WanderPpmPerSqrtS = 0.01 };
        double[] Trajectory(ulong seed)
        {
            var osc = new Oscillator(settings, seed, 0);
            return Enumerable.Range(1, 50).Select(i => osc.PhaseNsAt(i * 37 * S + 12345)).ToArray();
        }
        Assert.Equal(Trajectory(3), Trajectory(3));
        Assert.NotEqual(Trajectory(3), Trajectory(4));

        // After 400 s the walk's frequency has a standard deviation of 0.01 x sqrt(400) = 0.2 ppm.
        double sumSquares = 0;
        const int runs = 300;
        for (ulong seed = 0; seed < runs; seed++)
        {
            var f = new Oscillator(settings, seed, 0).FrequencyPpmAt(400 * S);
            sumSquares += f * f;
        }
        Assert.InRange(Math.Sqrt(sumSquares / runs), 0.17, 0.23);
    }

    [Fact]
    public void PhaseIsContinuousAcrossWalkSteps()
    {
        var osc = new Oscillator(new OscillatorSettings { WanderPpmPerSqrtS = 0.1 }, 9, 0);
        var before = osc.PhaseNsAt(5 * S - 1);
        var after = osc.PhaseNsAt(5 * S + 1);
        Assert.InRange(after - before, -0.01, 0.01);
    }

    [Fact]
    public void GoingBackBeforeTheCurrentStepThrows()
    {
        var osc = new Oscillator(new OscillatorSettings { WanderPpmPerSqrtS = 0.1 }, 9, 0);
        osc.PhaseNsAt(10 * S);
        Assert.Throws<InvalidOperationException>(() => osc.PhaseNsAt(5 * S));
    }
}
