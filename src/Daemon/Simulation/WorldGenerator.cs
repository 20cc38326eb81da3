using System.Globalization;
using Sync.Clock.Simulation;

namespace Sync.Daemon.Simulation;

/// <summary>
/// Random worlds for the benchmark: every scenario parameter drawn from <see cref="WorldRanges"/> with the
/// simulator's seeded random source, so (seed, index) always gives the same world, and each world's own processes
/// (delays, wander) are seeded from it. Events are placed after the warm-up, far enough apart that each one's
/// window (<see cref="FigureRules"/>) and recovery hold fit before the next.
/// </summary>
public static class WorldGenerator
{
    public static Scenario Generate(ulong seed, int index, WorldRanges? ranges = null, FigureRules? rules = null)
    {
        ranges ??= WorldRanges.Default;
        rules ??= FigureRules.Default;
        var random = SimRandom.Derive(seed, 0xB0A1D000UL + (ulong)index);
        double Uniform((double Min, double Max) r) => r.Min + (r.Max - r.Min) * random.NextDouble();
        double Log((double Min, double Max) r) => Math.Exp(Math.Log(r.Min) + (Math.Log(r.Max) - Math.Log(r.Min)) * random.NextDouble());
        int Integer((int Min, int Max) r) => r.Min + (int)Math.Min(r.Max - r.Min, Math.Floor(random.NextDouble() * (r.Max - r.Min + 1)));
        bool Chance(double p) => random.NextDouble() < p;
        double Sign() => Chance(0.5) ? 1 : -1;

        var precise = Chance(ranges.PreciseProbability);
        var readS = RoundTo(Log(ranges.ReadIntervalS), 3);
        var baseDelayNs = Math.Round(Log(ranges.BaseDelayNs));
        var jitterNs = Math.Round(baseDelayNs * Log(ranges.JitterFractionOfBase));
        var delay = new DelaySettings
        {
            BaseDelayNs = baseDelayNs,
            JitterNs = jitterNs,
            JitterDistribution = Chance(ranges.LognormalProbability) ? "lognormal" : "exponential",
            PreciseErrorNs = RoundTo(Log(ranges.PreciseErrorNs), 2),
        };
        if (Chance(ranges.BurstProbability))
        {
            var period = Math.Round(Log(ranges.BurstPeriodS));
            delay.BurstPeriodS = period;
            delay.BurstDurationS = Math.Round(Math.Min(Uniform(ranges.BurstDurationS), period / 2));
            delay.BurstJitterNs = Math.Round(jitterNs * Log(ranges.BurstJitterFactor));
        }
        delay.AsymmetryFraction = Chance(ranges.SymmetricProbability) ? 0.5 : RoundTo(0.5 + (2 * random.NextDouble() - 1) * ranges.MaxReadPointOffset, 4);
        delay.AsymmetrySpread = RoundTo(Uniform(ranges.ReadPointSpread), 4);
        if (Chance(ranges.OutlierWorldProbability))
        {
            delay.OutlierProbability = RoundTo(Log(ranges.OutlierProbability), 6);
            delay.OutlierDelayNs = Math.Round((baseDelayNs + jitterNs) * Log(ranges.OutlierDelayFactor));
        }

        var oscillator = new OscillatorSettings
        {
            OffsetPpm = RoundTo((2 * random.NextDouble() - 1) * ranges.MaxOffsetPpm, 3),
            WanderPpmPerSqrtS = RoundTo(Log(ranges.WanderPpmPerSqrtS), 7),
            PeriodicAmplitudePpm = 0,
        };
        var terms = Integer(ranges.PeriodicTerms);
        for (var i = 0; i < terms; i++)
            oscillator.PeriodicTerms.Add(new PeriodicTerm
            {
                AmplitudePpm = RoundTo(Uniform(ranges.PeriodicAmplitudePpm), 4),
                PeriodS = Math.Round(Log(ranges.PeriodicPeriodS)),
                PhaseRad = RoundTo(2 * Math.PI * random.NextDouble(), 3),
            });

        var durationS = Math.Clamp(ranges.ReadsPerRun * readS, ranges.DurationS.Min, ranges.DurationS.Max);
        var warmUpS = rules.WarmUpS(readS, durationS);
        // Each event needs its window, the recovery hold and a few reads before the next one.
        var gapS = rules.EventWindowS(readS) + rules.RecoveryHoldS + 4 * readS;
        var events = new List<ScenarioEvent>();
        var t = warmUpS;
        var count = Integer(ranges.Events);
        for (var i = 0; i < count; i++)
        {
            t = Math.Round(t + gapS * (0.5 + random.NextDouble()));
            switch (Integer((0, 3)))
            {
                case 0:
                    events.Add(new ScenarioEvent { TS = t, Kind = ScenarioEvent.ServedStep, StepMs = RoundTo(Sign() * Log(ranges.ServedStepMs), 4) });
                    break;
                case 1:
                    events.Add(new ScenarioEvent { TS = t, Kind = ScenarioEvent.ServedRate, RatePpm = RoundTo(Sign() * Log(ranges.ServedRatePpm), 3) });
                    break;
                case 2:
                    var outageS = Math.Round(Log(ranges.OutageS));
                    events.Add(new ScenarioEvent { TS = t, Kind = ScenarioEvent.DeviceRemoved, DurationS = outageS });
                    t += outageS;
                    break;
                default:
                    events.Add(new ScenarioEvent { TS = t, Kind = ScenarioEvent.GuestStep, StepMs = RoundTo(Sign() * Log(ranges.MigrationStepMs), 3) });
                    events.Add(new ScenarioEvent { TS = t, Kind = ScenarioEvent.GuestFreqJump, FreqPpm = RoundTo(Sign() * Log(ranges.MigrationFreqPpm), 3) });
                    break;
            }
            t += gapS;
        }
        // Room for the last event and as much steady time after the warm-up as before the events.
        durationS = Math.Max(durationS, t + Math.Max(gapS, durationS - warmUpS) / 2);

        var scenario = new Scenario
        {
            Name = string.Create(CultureInfo.InvariantCulture, $"world-{seed}-{index}"),
            Seed = SimRandom.Derive(seed, 0x5EED0000UL + (ulong)index).NextUInt64() >> 1,
            DurationS = Math.Ceiling(durationS),
            ReadIntervalS = readS,
            ReadingMode = precise ? "precise" : "extended",
            SamplesPerReading = precise ? 1 : Integer(ranges.SamplesPerReading),
            ServedClock = "tai",
            InitialGuestOffsetMs = RoundTo((2 * random.NextDouble() - 1) * ranges.MaxInitialOffsetMs, 3),
            Oscillator = oscillator,
            Delay = delay,
            Events = events,
        };
        scenario.Description = Describe(scenario);
        return scenario;
    }

    /// <summary>The world's parameters in one line (for the benchmark's worst-world lines).</summary>
    public static string Describe(Scenario s)
    {
        var d = s.Delay;
        var o = s.Oscillator;
        var reading = s.ReadingMode == "precise"
            ? I($"precise err {d.PreciseErrorNs:0.#} ns")
            : I($"extended x{s.SamplesPerReading} delay {d.BaseDelayNs / 1e3:0.0#} us + {d.JitterDistribution} {d.JitterNs / 1e3:0.0##} us")
              + (d.BurstPeriodS > 0 ? I($", bursts {d.BurstDurationS:0}/{d.BurstPeriodS:0} s x{d.BurstJitterNs / Math.Max(1, d.JitterNs):0.#}") : "")
              + I($", read at {d.AsymmetryFraction:0.###} +-{d.AsymmetrySpread:0.###}")
              + (d.OutlierProbability > 0 ? I($", outliers {d.OutlierProbability:0.####} x {d.OutlierDelayNs / 1e3:0} us") : "");
        var periodic = string.Join(" ", o.AllPeriodicTerms().Select(p => I($"{p.AmplitudePpm:0.###} ppm/{p.PeriodS:0} s")));
        var events = string.Join(", ", s.Events.Select(e => e.Kind switch
        {
            ScenarioEvent.ServedStep => I($"served step {e.StepMs:0.####} ms @{e.TS:0}"),
            ScenarioEvent.ServedRate => I($"served rate {e.RatePpm:0.###} ppm @{e.TS:0}"),
            ScenarioEvent.DeviceRemoved => I($"outage {e.DurationS:0} s @{e.TS:0}"),
            ScenarioEvent.GuestStep => I($"migration step {e.StepMs:0.###} ms @{e.TS:0}"),
            ScenarioEvent.GuestFreqJump => I($"freq {e.FreqPpm:+0.###;-0.###} ppm"),
            _ => e.Kind,
        }));
        return string.Concat(
            I($"read every {s.ReadIntervalS:0.###} s, {reading}; osc {o.OffsetPpm:0.#} ppm, wander {o.WanderPpmPerSqrtS:0.#####} ppm/sqrt(s)")
            + (periodic.Length > 0 ? I($", periodic {periodic}") : "") + (events.Length > 0 ? I($"; events: {events}") : "") + I($"; {s.DurationS:0} s"));
    }

    private static string I(FormattableString s) => FormattableString.Invariant(s);

    private static double RoundTo(double value, int digits) => Math.Round(value, digits);
}
