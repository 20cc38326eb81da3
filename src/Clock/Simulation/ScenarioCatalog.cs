namespace Sync.Clock.Simulation;

/// <summary>The built-in scenarios (documented in docs/scenarios.md).</summary>
public static class ScenarioCatalog
{
    private const string LeapDayStart = "2026-12-31T22:00:00Z"; // 2 h before a synthetic leap second at 2027-01-01T00:00:00Z
    private const double TwoHoursS = 7200;

    private static readonly OscillatorSettings TypicalOscillator = new()
    {
        OffsetPpm = 12.5,
        WanderPpmPerSqrtS = 0.0005,
        PeriodicAmplitudePpm = 0.05,
        PeriodicPeriodS = 1800,
    };

    private static readonly DelaySettings VirtioX86Delay = new()
    {
        BaseDelayNs = 20_000,
        JitterNs = 2_000,
        JitterDistribution = "lognormal",
        BurstPeriodS = 300,
        BurstDurationS = 20,
        BurstJitterNs = 15_000,
        // 2 % of the round trip off the midpoint (a constant ~0.45 us no filter can see), well within the half
        // window the engine allows by causality; +-5 % random per sample.
        AsymmetryFraction = 0.52,
        AsymmetrySpread = 0.05,
        OutlierProbability = 0.002,
        OutlierDelayNs = 200_000,
    };

    private static readonly Scenario Quiet = new()
    {
        Name = "quiet",
        Description = "Precise cross-timestamps (as on Arm with ARM_VCT), low noise, TAI clock: the best case.",
        Seed = 1,
        ServedClock = "tai",
        ReadingMode = "precise",
        SamplesPerReading = 1,
        Oscillator = TypicalOscillator,
        Delay = new DelaySettings { BaseDelayNs = 300, JitterNs = 0, PreciseErrorNs = 2 },
        InitialGuestOffsetMs = 3,
    };

    private static readonly Scenario VirtioX86 = new()
    {
        Name = "virtio-x86",
        Description = "x86 guest: no cross-timestamps, PTP_SYS_OFFSET_EXTENDED over a slow virtqueue (~20 us base delay, " +
            "lognormal jitter with bursts, device read 52 +- 5 % into the round trip, rare 200 us outliers), TAI clock.",
        Seed = 2,
        ServedClock = "tai",
        ReadingMode = "extended",
        SamplesPerReading = 10,
        Oscillator = TypicalOscillator with { OffsetPpm = -23 },
        Delay = VirtioX86Delay,
        InitialGuestOffsetMs = -40,
    };

    private static readonly Scenario Chrony106 = new()
    {
        Name = "chrony-106",
        Description = "Like chrony's simulation test 106-refclock: PHC delay 1 us with bursty 1 us jitter, no cross-timestamps, " +
            "read once a second. chrony reaches max error < 100 ns, RMS < 10 ns here.",
        Seed = 106,
        ServedClock = "tai",
        ReadingMode = "extended",
        SamplesPerReading = 25,
        ReadIntervalS = 1,
        Oscillator = new OscillatorSettings { OffsetPpm = 100, WanderPpmPerSqrtS = 0.0001 },
        Delay = new DelaySettings
        {
            BaseDelayNs = 1_000,
            JitterNs = 20,
            BurstPeriodS = 60,
            BurstDurationS = 20,
            BurstJitterNs = 1_000,
            AsymmetryFraction = 0.5,
        },
        InitialGuestOffsetMs = 0.1,
    };

    private static readonly Scenario Migration = VirtioX86 with
    {
        Name = "migration",
        Description = "virtio-x86, then a live migration half way: the guest clock steps by +50 ms and its oscillator " +
            "frequency jumps by +30 ppm at the same instant.",
        Seed = 3,
        InitialGuestOffsetMs = 0,
        Events =
        [
            new ScenarioEvent { TS = 1800, Kind = ScenarioEvent.GuestStep, StepMs = 50 },
            new ScenarioEvent { TS = 1800, Kind = ScenarioEvent.GuestFreqJump, FreqPpm = 30 },
        ],
    };

    private static readonly Scenario Outage = VirtioX86 with
    {
        Name = "outage",
        Description = "virtio-x86 with the PHC gone (hot unplug, reads fail with ENODEV) for 10 minutes from t = 20 min: " +
            "holdover on the last frequency, then recovery.",
        Seed = 4,
        InitialGuestOffsetMs = 0,
        Events = [new ScenarioEvent { TS = 1200, Kind = ScenarioEvent.DeviceRemoved, DurationS = 600 }],
    };

    private static readonly Scenario RateChange = new()
    {
        Name = "rate-change",
        Description = "Like the VM lab's faults run: a slow vhost-user virtqueue (60 us + lognormal jitter of mean 100 us, " +
            "bursts, 2 % outliers of 2 ms, the device read 20 +- 40 % into the round trip), the daemon's defaults (9 samples " +
            "every 0.25 s), UTC clock; the served clock steps +100 ms at 120 s and runs 30 ppm fast from 150 s. 10 min.",
        Seed = 7,
        DurationS = 600,
        ReadIntervalS = 0.25,
        SamplesPerReading = 9,
        ServedClock = "utc",
        ReadingMode = "extended",
        InitialGuestOffsetMs = 0.05,
        Oscillator = new OscillatorSettings { OffsetPpm = 3, WanderPpmPerSqrtS = 0.0005 },
        Delay = new DelaySettings
        {
            BaseDelayNs = 60_000,
            JitterNs = 100_000,
            JitterDistribution = "lognormal",
            BurstPeriodS = 60,
            BurstDurationS = 15,
            BurstJitterNs = 150_000,
            AsymmetryFraction = 0.2,
            AsymmetrySpread = 0.4,
            OutlierProbability = 0.02,
            OutlierDelayNs = 2_000_000,
        },
        Events =
        [
            new ScenarioEvent { TS = 120, Kind = ScenarioEvent.ServedStep, StepMs = 100 },
            new ScenarioEvent { TS = 150, Kind = ScenarioEvent.ServedRate, RatePpm = 30 },
        ],
    };

    private static Scenario LeapScenario(string name, string servedClock, string description) => new()
    {
        Name = name,
        Description = description,
        Seed = 10,
        StartUtc = LeapDayStart,
        DurationS = 4 * 3600,
        ServedClock = servedClock,
        ReadingMode = "extended",
        SamplesPerReading = 5,
        Oscillator = TypicalOscillator,
        Delay = VirtioX86Delay with { OutlierProbability = 0 },
        Events = [new ScenarioEvent { TS = TwoHoursS, Kind = ScenarioEvent.Leap, LeapDirection = "insert" }],
    };

    private static readonly Scenario LeapUtc = LeapScenario("leap-utc", "utc",
        "A UTC clock across a (synthetic) inserted leap second at 2027-01-01T00:00:00Z: the served clock steps back 1 s. " +
        "Starts 2 h before, lasts 4 h.");

    private static readonly Scenario LeapTai = LeapScenario("leap-tai", "tai",
        "A TAI clock across an inserted leap second: the served clock is continuous; the guest must apply TAI-UTC " +
        "from its leap table (37 -> 38 s). Starts 2 h before, lasts 4 h.");

    private static readonly Scenario LeapSmearedSls = LeapScenario("leap-smeared-sls", "utc-smeared-sls",
        "A UTC_SMEARED/UTC_SLS clock across an inserted leap second: rate -0.1 % during 23:43:20-24:00:00. " +
        "Starts 2 h before, lasts 4 h.");

    private static readonly Scenario LeapMaybeSmeared = LeapScenario("leap-maybe-smeared", "utc-maybe-smeared",
        "A UTC_MAYBE_SMEARED clock across an inserted leap second; this one steps (maybe_smeared_behaviour \"step\"), " +
        "the guest cannot know beforehand. Starts 2 h before, lasts 4 h.") with { MaybeSmearedBehaviour = "step" };

    private static readonly Scenario LeapSmearedNoon = LeapScenario("leap-smeared-noon", "utc-smeared-noon",
        "A UTC_SMEARED/NOON_LINEAR clock across an inserted leap second: rate -1/86400 (11.6 ppm) from noon to noon " +
        "around it. Starts 2 h before the smear, lasts 28 h; reads every 4 s with 5 samples to stay cheap.") with
    {
        StartUtc = "2026-12-31T10:00:00Z",
        DurationS = 28 * 3600,
        ReadIntervalS = 4,
        Events = [new ScenarioEvent { TS = 14 * 3600, Kind = ScenarioEvent.Leap, LeapDirection = "insert" }],
    };

    private static readonly Scenario LeapUnannounced = LeapScenario("leap-unannounced", "tai",
        "A device serving TAI and UTC; the guest's leap table is the embedded copy, expired since 2026-06-28, and does not " +
        "know the inserted leap second at 2027-01-01T00:00:00Z: the kernel's TAI offset comes from the device (37 -> 38 s) " +
        "and the guest, not told of the leap, steps 1 s after it. Starts 30 min before, lasts 1 h.") with
    {
        StartUtc = "2026-12-31T23:30:00Z",
        DurationS = 3600,
        AlsoServedClocks = ["utc"],
        GuestLeapTable = Scenario.GuestLeapTableEmbedded,
        Events = [new ScenarioEvent { TS = 1800, Kind = ScenarioEvent.Leap, LeapDirection = "insert" }],
    };

    private static readonly Scenario CalibratedPath = new()
    {
        Name = "calibrated-path",
        Description = "Like the VM lab: our device over a slow vhost-user virtqueue (extended, ~100 us window, the device read " +
            "30 +- 10 % into it, so its midpoint offsets are ~20 us off) and QEMU's built-in device as a second, narrower path " +
            "(~10 us window, read at its midpoint +- 10 %), sources combined; the built-in device is removed for good at 30 min " +
            "and the daemon goes on with the calibration it measured. UTC clock, the daemon's defaults (9 samples every 0.25 s). 1 h.",
        Seed = 11,
        DurationS = 3600,
        ReadIntervalS = 0.25,
        SamplesPerReading = 9,
        ServedClock = "utc",
        ReadingMode = "extended",
        Oscillator = TypicalOscillator,
        InitialGuestOffsetMs = 0.05,
        Delay = new DelaySettings
        {
            BaseDelayNs = 70_000,
            JitterNs = 30_000,
            JitterDistribution = "lognormal",
            BurstPeriodS = 300,
            BurstDurationS = 20,
            BurstJitterNs = 100_000,
            AsymmetryFraction = 0.3,
            AsymmetrySpread = 0.1,
            OutlierProbability = 0.01,
            OutlierDelayNs = 1_000_000,
        },
        SecondDevice = new SecondDeviceSettings
        {
            ReadingMode = "extended",
            Delay = new DelaySettings { BaseDelayNs = 8_000, JitterNs = 2_000, JitterDistribution = "lognormal", AsymmetryFraction = 0.5, AsymmetrySpread = 0.1 },
            RemovedAfterS = 1800,
        },
    };

    private static readonly Scenario[] BuiltIns =
        [Quiet, VirtioX86, Chrony106, Migration, LeapUtc, LeapTai, LeapSmearedNoon, LeapSmearedSls, LeapMaybeSmeared, LeapUnannounced, Outage, RateChange, CalibratedPath];

    /// <summary>Fresh copies of every built-in (scenarios are mutable for JSON binding; the originals stay intact).</summary>
    public static IReadOnlyList<Scenario> All => BuiltIns.Select(Copy).ToArray();
    public static IReadOnlyList<string> Names { get; } = BuiltIns.Select(s => s.Name).ToArray();

    public static bool TryGet(string name, out Scenario scenario)
    {
        var builtIn = BuiltIns.FirstOrDefault(s => s.Name == name);
        scenario = builtIn is null ? null! : Copy(builtIn);
        return builtIn is not null;
    }

    private static Scenario Copy(Scenario s) => s with
    {
        Oscillator = s.Oscillator with { },
        Delay = s.Delay with { },
        Events = s.Events.Select(e => e with { }).ToList(),
        AlsoServedClocks = [.. s.AlsoServedClocks],
        SecondDevice = s.SecondDevice is { } second ? second with { Delay = second.Delay with { } } : null,
    };

    /// <summary>The built-in scenario of that name; an unknown name gives a ScenarioException listing the valid ones.</summary>
    public static Scenario Get(string name) => TryGet(name, out var scenario)
        ? scenario
        : throw new ScenarioException($"unknown scenario '{name}'{Scenario.DidYouMean(name, Names)}; built-in scenarios: {string.Join(", ", Names)} (or give a scenario file)");
}
