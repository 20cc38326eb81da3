using System.Globalization;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Clock.Simulation;

/// <summary>
/// A scenario made real: the world (true time, leap table with the scenario's leaps), the guest oscillator and
/// clock, the served host clock with its faults, the simulated PHC, and every event scheduled. The runner
/// advances it read by read (<see cref="AdvanceTo"/>), reads <see cref="Phc"/>, feeds the pipeline, and applies
/// commands to <see cref="GuestClock"/>.
/// </summary>
public sealed class ScenarioWorld
{
    private const long NsPerSecond = 1_000_000_000L;
    private const long DayNs = 86_400 * NsPerSecond;
    private readonly List<SimulatedPhc> _alsoServed = [];

    private ScenarioWorld(Scenario scenario, SimulatedWorld world)
    {
        var second = scenario.SecondDevice;
        Scenario = scenario;
        World = world;
        Oscillator = new Oscillator(scenario.Oscillator, scenario.Seed, world.StartTrueNs);
        GuestClock = new SimulatedSystemClock(world, Oscillator, Duration.FromMilliseconds(scenario.InitialGuestOffsetMs));
        var scales = scenario.DeviceScales;
        ServedClock = CreateHostClock(scales[0]);
        ReadModel = new PhcReadModel(scenario.Delay, scenario.Seed, world.StartTrueNs);
        Phc = new SimulatedPhc(world, GuestClock, ServedClock, ReadModel, scenario.Method);
        // The device's other clocks: the same host time in another scale, over the same kind of path (own draws).
        for (var k = 1; k < scales.Count; k++)
            _alsoServed.Add(new SimulatedPhc(world, GuestClock, CreateHostClock(scales[k]),
                new PhcReadModel(scenario.Delay, scenario.Seed + (ulong)k * 0xC10C, world.StartTrueNs), scenario.Method, $"/dev/ptp-sim{k}"));
        GuestLeapTable = scenario.GuestLeapTable == Scenario.GuestLeapTableEmbedded ? LeapSecondTable.Embedded : world.LeapTable;
        EndTrueNs = world.StartTrueNs + scenario.DurationNs;
        if (second is not null)
        {
            SecondPhc = new SimulatedPhc(world, GuestClock, ServedClock,
                new PhcReadModel(second.Delay, scenario.Seed + 0x5EC0D, world.StartTrueNs),
                second.ReadingMode == "precise" ? Filters.Samples.ReadingMethod.Precise : Filters.Samples.ReadingMethod.Extended,
                $"/dev/ptp-sim{scales.Count}");
            if (second.RemovedAfterS is { } removed)
                SecondPhc.AddOutage(world.StartTrueNs + SecondsToNs(removed), long.MaxValue / 2);
        }
    }

    public Scenario Scenario { get; }
    public SimulatedWorld World { get; }
    public Oscillator Oscillator { get; }
    public SimulatedSystemClock GuestClock { get; }
    public SimulatedHostClock ServedClock { get; }
    public PhcReadModel ReadModel { get; }
    public SimulatedPhc Phc { get; }

    /// <summary>The scenario's second device (another path to the same host clock), or null.</summary>
    public SimulatedPhc? SecondPhc { get; }

    /// <summary>The device's other clocks (also_served_clocks), in their order; each reads its own host clock.</summary>
    public IReadOnlyList<SimulatedPhc> AlsoServedPhcs => _alsoServed;

    /// <summary>Every clock the guest can read: the device's (served_clock, then also_served_clocks), then the second device's.</summary>
    public IReadOnlyList<SimulatedPhc> Phcs => [Phc, .. _alsoServed, .. SecondPhc is null ? Array.Empty<SimulatedPhc>() : [SecondPhc]];

    /// <summary>The true leap table of this world (embedded table plus the scenario's leaps): what the host serves by.</summary>
    public LeapSecondTable LeapTable => World.LeapTable;

    /// <summary>The leap table the guest has (guest_leap_table): give it to the pipeline.</summary>
    public LeapSecondTable GuestLeapTable { get; }

    /// <summary>True TAI - UTC now (what a right kernel TAI offset is).</summary>
    public int TrueTaiMinusUtcSeconds => World.TaiMinusUtcSecondsAt(World.TrueNs);

    public long StartTrueNs => World.StartTrueNs;
    public long EndTrueNs { get; }
    public long ReadIntervalNs => Scenario.ReadIntervalNs;
    public int SamplesPerReading => Scenario.SamplesPerReading;
    public IReadOnlyList<ScheduledEvent> Events => World.Events;

    /// <summary>Advance true time to trueNs (never backwards), applying due events.</summary>
    public void AdvanceTo(long trueNs) => World.AdvanceTo(trueNs);

    /// <summary>The instants at which the runner should read: start, start + interval, ... before the end.</summary>
    public IEnumerable<long> ReadInstants()
    {
        for (var t = StartTrueNs; t < EndTrueNs; t += ReadIntervalNs) yield return t;
    }

    /// <summary>A clock of the simulated host in this scale, served with the scenario's host TAI offset (the faults are
    /// added to every device clock as their events are scheduled).</summary>
    private SimulatedHostClock CreateHostClock(ClockScale scale)
    {
        var clock = SimulatedHostClock.ForWorld(World, scale, Scenario.MaybeSmeared);
        clock.HostTaiOffsetSeconds = Scenario.HostTaiOffsetS;
        return clock;
    }

    /// <summary>The host clocks of the first device (a served fault is the host's: every one of them has it).</summary>
    private IEnumerable<SimulatedHostClock> DeviceClocks => [ServedClock, .. _alsoServed.Select(p => p.Served)];

    /// <summary>The first device's PHCs (a removal takes all of its clocks away).</summary>
    private IEnumerable<SimulatedPhc> DevicePhcs => [Phc, .. _alsoServed];

    /// <summary>Build the world of a scenario; a <see cref="ScenarioException"/> says what is wrong with it.</summary>
    public static ScenarioWorld Create(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var problems = scenario.Validate();
        if (problems.Count > 0) throw new ScenarioException($"scenario '{scenario.Name}': {string.Join("; ", problems)}");
        scenario.TryParseStartUtc(out var startUtc);

        var table = LeapSecondTable.Embedded;
        var startTaiNs = new LeapTimeline(table).UtcToTaiNs(startUtc.Nanoseconds);
        var leapDescriptions = new List<(long AtNs, string Text)>();
        foreach (var leap in scenario.Events.Where(e => e.Kind == ScenarioEvent.Leap).OrderBy(e => e.TS))
        {
            var atTaiNs = startTaiNs + SecondsToNs(leap.TS);
            var timeline = new LeapTimeline(table);
            var utcNs = timeline.TaiToUtcNs(atTaiNs);
            var sinceMidnightNs = ((utcNs % DayNs) + DayNs) % DayNs;
            if (sinceMidnightNs != 0)
            {
                var toNearestMidnightNs = sinceMidnightNs < DayNs / 2 ? -sinceMidnightNs : DayNs - sinceMidnightNs;
                throw new ScenarioException(
                    $"scenario '{scenario.Name}': leap event at t_s {leap.TS} falls on {FormatUtc(utcNs)}, not on a UTC midnight; " +
                    $"the nearest midnight is t_s {leap.TS + toNearestMidnightNs / 1e9}");
            }
            var before = timeline.OffsetSecondsAtTai(atTaiNs);
            var change = leap.LeapDirection == "delete" ? -1 : 1;
            table = table.WithLeap(new Instant<Utc>(utcNs), change);
            leapDescriptions.Add((atTaiNs, $"leap second {(change > 0 ? "inserted" : "deleted")} before {FormatUtc(utcNs)} (TAI-UTC {before} -> {before + change} s)"));
        }

        var world = new ScenarioWorld(scenario, new SimulatedWorld(new Instant<Tai>(startTaiNs), table));
        foreach (var (atNs, text) in leapDescriptions) world.World.Schedule(atNs, ScenarioEvent.Leap, text);
        foreach (var e in scenario.Events.Where(e => e.Kind != ScenarioEvent.Leap).OrderBy(e => e.TS)) world.Add(e);
        return world;
    }

    private void Add(ScenarioEvent e)
    {
        var atNs = StartTrueNs + SecondsToNs(e.TS);
        switch (e.Kind)
        {
            case ScenarioEvent.ServedStep:
                var servedStepNs = MsToNs(e.StepMs!.Value);
                foreach (var clock in DeviceClocks) clock.AddStep(atNs, servedStepNs);
                World.Schedule(atNs, e.Kind, $"served clock steps by {e.StepMs} ms");
                break;
            case ScenarioEvent.ServedRate:
                foreach (var clock in DeviceClocks) clock.AddRateError(atNs, e.RatePpm!.Value);
                World.Schedule(atNs, e.Kind, $"served clock rate error {e.RatePpm} ppm from here on");
                break;
            case ScenarioEvent.GuestStep:
                var guestStepNs = MsToNs(e.StepMs!.Value);
                World.Schedule(atNs, e.Kind, $"guest clock steps by {e.StepMs} ms", () => GuestClock.InjectStep(guestStepNs));
                break;
            case ScenarioEvent.GuestFreqJump:
                Oscillator.AddJump(atNs, e.FreqPpm!.Value);
                World.Schedule(atNs, e.Kind, $"guest oscillator frequency jumps by {e.FreqPpm} ppm");
                break;
            case ScenarioEvent.DeviceRemoved:
                var durationNs = SecondsToNs(e.DurationS!.Value);
                foreach (var phc in DevicePhcs) phc.AddOutage(atNs, durationNs);
                World.Schedule(atNs, e.Kind, $"PHC device removed for {e.DurationS} s");
                World.Schedule(atNs + durationNs, "device_returned", "PHC device back");
                break;
            case ScenarioEvent.VmPaused:
                // The VM stands still (QMP stop under TCG): nothing in the guest runs, so no reading happens, and its
                // clock does not advance; at cont it goes on from where it stopped, behind by the pause.
                var pauseNs = SecondsToNs(e.DurationS!.Value);
                foreach (var phc in DevicePhcs) phc.AddOutage(atNs, pauseNs);
                World.Schedule(atNs, e.Kind, $"VM paused for {e.DurationS} s");
                World.Schedule(atNs + pauseNs, "vm_resumed", $"VM resumed, its clock {e.DurationS} s behind", () => GuestClock.InjectStep(-pauseNs));
                break;
        }
    }

    private static long SecondsToNs(double s) => (long)Math.Round(s * 1e9);
    private static long MsToNs(double ms) => (long)Math.Round(ms * 1e6);

    private static string FormatUtc(long utcNs) =>
        DateTimeOffset.UnixEpoch.AddTicks(utcNs / 100).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
