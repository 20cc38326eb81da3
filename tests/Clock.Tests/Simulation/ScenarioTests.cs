using Sync.Clock.Abstractions;
using Sync.Clock.Simulation;
using Sync.Filters.Discipline;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.Simulation;

public class ScenarioTests
{
    private const long S = 1_000_000_000L;

    /// <summary>Runs a scenario for a while with a crude steering loop; returns (elapsed s, true offset, reading offset) per read.</summary>
    private static List<(long ElapsedNs, long TrueOffsetNs, long MeasuredNs)> Run(Scenario scenario, double seconds)
    {
        var sim = ScenarioWorld.Create(scenario);
        var trace = new List<(long, long, long)>();
        var end = Math.Min(sim.EndTrueNs, sim.StartTrueNs + (long)(seconds * S));
        for (var t = sim.StartTrueNs; t < end; t += sim.ReadIntervalNs)
        {
            sim.AdvanceTo(t);
            var reading = sim.Phc.Read(sim.SamplesPerReading);
            long measured = long.MinValue;
            if (reading.IsOk)
            {
                var s = reading.Value.Samples[0];
                measured = (s.SysBeforeNs + s.SysAfterNs) / 2 - s.PhcNs;
            }
            trace.Add((sim.World.ElapsedNs, sim.GuestClock.TrueOffsetNs, measured));
        }
        return trace;
    }

    [Fact]
    public void EveryBuiltInScenarioIsValidAndRuns()
    {
        Assert.Equal(
            ["quiet", "virtio-x86", "chrony-106", "migration", "leap-utc", "leap-tai", "leap-smeared-noon", "leap-smeared-sls", "leap-maybe-smeared", "leap-unannounced", "outage", "rate-change", "calibrated-path"],
            ScenarioCatalog.Names);
        foreach (var scenario in ScenarioCatalog.All)
        {
            Assert.Empty(scenario.Validate());
            Assert.False(string.IsNullOrWhiteSpace(scenario.Description));
            var trace = Run(scenario, 30);
            Assert.NotEmpty(trace);
            Assert.Contains(trace, p => p.MeasuredNs != long.MinValue);
        }
    }

    [Fact]
    public void SameSeedSameTrajectoryOtherSeedOtherTrajectory()
    {
        var scenario = ScenarioCatalog.Get("virtio-x86") with { DurationS = 120, Oscillator = new OscillatorSettings { WanderPpmPerSqrtS = 0.01 } };
        var a = Run(scenario, 120);
        var b = Run(scenario, 120);
        var c = Run(scenario with { Seed = scenario.Seed + 1 }, 120);
        Assert.Equal(a, b);
        Assert.NotEqual(a.Select(p => p.MeasuredNs), c.Select(p => p.MeasuredNs));
        Assert.NotEqual(a.Select(p => p.TrueOffsetNs), c.Select(p => p.TrueOffsetNs));
    }

    [Fact]
    public void MigrationStepsTheGuestAndJumpsItsFrequency()
    {
        var sim = ScenarioWorld.Create(ScenarioCatalog.Get("migration"));
        sim.AdvanceTo(sim.StartTrueNs + 1799 * S);
        var before = sim.GuestClock.TrueOffsetNs;
        var freqBefore = sim.GuestClock.TrueFrequencyErrorPpm;
        sim.AdvanceTo(sim.StartTrueNs + 1800 * S);
        var after = sim.GuestClock.TrueOffsetNs;
        Assert.InRange(after - before - 50_000_000, -100_000, 100_000); // plus 1 s of oscillator drift
        Assert.InRange(sim.GuestClock.TrueFrequencyErrorPpm - freqBefore, 29.9, 30.1);
        Assert.Equal(["guest_freq_jump", "guest_step"], sim.World.FiredEvents.Select(e => e.Kind).Order());
    }

    [Fact]
    public void OutageScenarioLosesTheDeviceForTenMinutes()
    {
        var sim = ScenarioWorld.Create(ScenarioCatalog.Get("outage"));
        var failures = 0;
        foreach (var t in sim.ReadInstants())
        {
            sim.AdvanceTo(t);
            var reading = sim.Phc.Read(1);
            if (!reading.IsOk)
            {
                Assert.Equal(ClockErrorKind.DeviceGone, reading.Error!.Kind);
                failures++;
            }
        }
        Assert.InRange(failures, 599, 601);
        Assert.Equal(["device_removed", "device_returned"], sim.Events.Select(e => e.Kind));
    }

    [Fact]
    public void LeapScenarioPutsTheLeapInTheWorldsTable()
    {
        var sim = ScenarioWorld.Create(ScenarioCatalog.Get("leap-utc"));
        var leap = Assert.Single(sim.Events);
        Assert.Equal(7200 * S, leap.AtElapsedNs);
        Assert.Contains("37 -> 38", leap.Description);
        Assert.Equal(37, sim.World.TaiMinusUtcSecondsAt(leap.AtTrueNs - 1));
        Assert.Equal(38, sim.World.TaiMinusUtcSecondsAt(leap.AtTrueNs));
        sim.AdvanceTo(leap.AtTrueNs + S / 2);
        Assert.Equal(SimTestWorlds.LeapMidnight.Nanoseconds - S / 2, sim.ServedClock.ReadNanoseconds());
        Assert.Equal(38, sim.LeapTable.TaiMinusUtcAt(new Instant<Utc>(SimTestWorlds.LeapMidnight.Nanoseconds + S)));
    }

    [Fact]
    public void LeapOffMidnightIsRefusedWithAHint()
    {
        var scenario = ScenarioCatalog.Get("leap-tai") with { Events = [new ScenarioEvent { TS = 7000, Kind = "leap", LeapDirection = "insert" }] };
        var e = Assert.Throws<ScenarioException>(() => ScenarioWorld.Create(scenario));
        Assert.Contains("not on a UTC midnight", e.Message);
        Assert.Contains("t_s 7200", e.Message);
    }

    [Fact]
    public void JsonRoundTripKeepsEverything()
    {
        foreach (var scenario in ScenarioCatalog.All)
        {
            var json = ScenarioLoader.ToJson(scenario);
            var back = ScenarioLoader.Parse(json);
            Assert.Equal(json, ScenarioLoader.ToJson(back));
            Assert.Equal(scenario with { Events = back.Events, AlsoServedClocks = back.AlsoServedClocks }, back);
            Assert.Equal(scenario.Events, back.Events);
            Assert.Equal(scenario.AlsoServedClocks, back.AlsoServedClocks);
        }
        Assert.Contains("\"duration_s\"", ScenarioLoader.ToJson(ScenarioCatalog.Get("quiet")));
        Assert.Contains("\"t_s\"", ScenarioLoader.ToJson(ScenarioCatalog.Get("migration")));
    }

    [Fact]
    public void UserFileWithCommentsAndDefaultsLoads()
    {
        const string json = """
            {
              // a user's scenario
              "name": "my-test",
              "duration_s": 600,
              "seed": 7,
              "served_clock": "utc-smeared-sls",
              "delay": { "base_delay_ns": 5000, "jitter_ns": 500 },
              "events": [ { "t_s": 60, "kind": "served_step", "step_ms": 100 }, ],
            }
            """;
        var scenario = ScenarioLoader.Parse(json);
        Assert.Equal("my-test", scenario.Name);
        Assert.Equal(ClockScale.UtcSmearedSls, scenario.ServedScale);
        Assert.Equal(0.5, scenario.Delay.AsymmetryFraction);
        Assert.Equal(100, scenario.Events[0].StepMs);
        var sim = ScenarioWorld.Create(scenario);
        sim.AdvanceTo(sim.StartTrueNs + 61 * S);
        Assert.Equal(100_000_000, sim.ServedClock.FaultOffsetNs(sim.World.TrueNs));
    }

    [Theory]
    [InlineData("""{ "name": "x", "durration_s": 5 }""", "durration_s")]
    [InlineData("""{ "name": "x", "served_clock": "gps" }""", "served_clock \"gps\" is unknown; valid: utc, tai")]
    [InlineData("""{ "name": "x", "events": [ { "t_s": 1, "kind": "explode" } ] }""", "events[0]: kind \"explode\" is unknown")]
    [InlineData("""{ "name": "x", "events": [ { "t_s": 1, "kind": "guest_step" } ] }""", "guest_step needs step_ms")]
    [InlineData("""{ "name": "x", "samples_per_reading": 40 }""", "samples_per_reading must be in 1..25")]
    [InlineData("""{ "name": "x", "delay": { "asymmetry_fraction": 2 } }""", "delay.asymmetry_fraction")]
    [InlineData("""{ "name": "x", "start_utc": "yesterday" }""", "start_utc")]
    [InlineData("""{ "name": "x", "second_device": { "reading_mode": "fast" } }""", "second_device.reading_mode")]
    [InlineData("""{ "name": "x", "second_device": { "delay": { "jitter_ns": -1 } } }""", "second_device.delay.jitter_ns")]
    [InlineData("""{ "name": "x", "also_served_clocks": ["utcc"] }""", "also_served_clocks[0] \"utcc\" is unknown (did you mean \"utc\"?); valid: utc, tai")]
    [InlineData("""{ "name": "x", "served_clock": "utc", "also_served_clocks": ["tai", "utc"] }""", "also_served_clocks[1] \"utc\" is served already")]
    [InlineData("""{ "name": "x", "also_served_clocks": "utc" }""", "\"also_served_clocks\" must be a list")]
    [InlineData("""{ "name": "x", "host_tai_offset_s": -1 }""", "host_tai_offset_s must be a whole number of seconds in 0..1000")]
    [InlineData("""{ "name": "x", "host_tai_offset_s": 0.5 }""", "\"host_tai_offset_s\" must be a whole number")]
    [InlineData("""{ "name": "x", "guest_leap_table": "embeded" }""", "guest_leap_table \"embeded\" is unknown (did you mean \"embedded\"?); valid: world, embedded")]
    [InlineData("""{ "name": """, "the text ends too early")]
    [InlineData("null", "null")]
    public void BadFilesGiveClearErrors(string json, string expected)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json, "test.json"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("test.json", e.Message);
    }

    [Fact]
    public void ASecondDeviceIsAnotherPathToTheSameHostClockUntilItIsRemoved()
    {
        const string json = """
            { "name": "two", "served_clock": "utc",
              "second_device": { "reading_mode": "extended", "delay": { "base_delay_ns": 8000, "jitter_ns": 0 }, "removed_after_s": 10 } }
            """;
        var world = ScenarioWorld.Create(ScenarioLoader.Parse(json));
        var second = Assert.IsType<SimulatedPhc>(world.SecondPhc);
        Assert.Equal([world.Phc, second], world.Phcs);
        Assert.NotEqual(world.Phc.Info.Path, second.Info.Path);

        var reading = second.Read(3);
        Assert.True(reading.IsOk);
        Assert.All(reading.Value.Samples, t => Assert.Equal(8_000, t.SysAfterNs - t.SysBeforeNs));
        world.AdvanceTo(world.StartTrueNs + 11 * S);
        Assert.Equal(Sync.Clock.Abstractions.ClockErrorKind.DeviceGone, second.Read(3).Error!.Kind);
        Assert.True(world.Phc.Read(3).IsOk);
    }

    [Fact]
    public void ADeviceServesItsOtherClocksFromTheSameHostTime()
    {
        const string json = """{ "name": "both", "served_clock": "tai", "also_served_clocks": ["utc"], "events": [ { "t_s": 5, "kind": "served_step", "step_ms": 3 } ] }""";
        var world = ScenarioWorld.Create(ScenarioLoader.Parse(json));
        var utc = Assert.Single(world.AlsoServedPhcs);
        Assert.Equal([world.Phc, utc], world.Phcs);
        Assert.Equal(ClockScale.Utc, utc.Info.Scale);
        Assert.Equal("/dev/ptp-sim1", utc.Info.Path);
        world.AdvanceTo(world.StartTrueNs + 6 * S);
        // Same host time, faults included: TAI - UTC is the world's, whole seconds.
        Assert.Equal(37 * S, world.ServedClock.ReadNanoseconds() - utc.Served.ReadNanoseconds());
        Assert.Equal(3_000_000, utc.Served.FaultOffsetNs(world.World.TrueNs));

        var unset = ScenarioWorld.Create(ScenarioLoader.Parse(json.Replace("\"events\"", "\"host_tai_offset_s\": 0, \"events\"", StringComparison.Ordinal)));
        Assert.Equal(0, unset.ServedClock.ReadNanoseconds() - unset.AlsoServedPhcs[0].Served.ReadNanoseconds());
    }

    [Fact]
    public void TheGuestLeapTableIsTheWorldsOrTheEmbeddedCopy()
    {
        var leapTai = ScenarioCatalog.Get("leap-tai");
        var knows = ScenarioWorld.Create(leapTai);
        Assert.Same(knows.LeapTable, knows.GuestLeapTable);
        var stale = ScenarioWorld.Create(leapTai with { GuestLeapTable = Scenario.GuestLeapTableEmbedded });
        Assert.Same(LeapSecondTable.Embedded, stale.GuestLeapTable);
        Assert.Equal(38, stale.LeapTable.TaiMinusUtcAt(new Instant<Utc>(SimTestWorlds.LeapMidnight.Nanoseconds + S)));
        Assert.Equal(37, stale.GuestLeapTable.TaiMinusUtcAt(new Instant<Utc>(SimTestWorlds.LeapMidnight.Nanoseconds + S)));
    }

    [Fact]
    public void UnknownScenarioNameListsTheValidOnes()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioCatalog.Get("quite"));
        Assert.Contains("'quite'", e.Message);
        foreach (var name in ScenarioCatalog.Names) Assert.Contains(name, e.Message);
        Assert.False(ScenarioCatalog.TryGet("quite", out _));
    }

    [Fact]
    public void MissingScenarioFileIsAClearError()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile("/nonexistent/scenario.json"));
        Assert.Contains("/nonexistent/scenario.json", e.Message);
    }

    [Fact]
    public void GuestSteeredByTheReadingsFollowsTheServedClock()
    {
        // A crude loop standing in for the pipeline: shows the pieces fit and the true offset responds.
        var sim = ScenarioWorld.Create(ScenarioCatalog.Get("quiet") with { DurationS = 300 });
        foreach (var t in sim.ReadInstants())
        {
            sim.AdvanceTo(t);
            var reading = sim.Phc.Read(1).Value;
            var sample = reading.Samples[0];
            var offsetNs = sample.SysBeforeNs - (sample.PhcNs - 37 * S); // TAI clock -> UTC
            sim.GuestClock.Apply(new ClockCommand { FrequencyPpm = -12.5 - offsetNs / 1e3 * 0.1 });
        }
        Assert.InRange(Math.Abs(sim.GuestClock.TrueOffsetNs), 0, 100_000);
    }
}
