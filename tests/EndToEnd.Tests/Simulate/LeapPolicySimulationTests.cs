using Sync.Clock.Simulation;
using Sync.Daemon.Simulation;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;

namespace Sync.EndToEnd.Tests.Simulate;

/// <summary>
/// discipline:leapPolicy end to end, through `simulate`'s whole composition (the virtio-rtc device, the sync loop,
/// the engine with the policy, the simulated kernel that inserts the second when STA_INS is set), over the built-in
/// leap scenarios shortened to 30 min either side of the leap at 2027-01-01T00:00:00Z. The guest's offset is measured
/// here against true UTC (not the trace's error, which under follow-smear is against the smear).
/// </summary>
public class LeapPolicySimulationTests
{
    /// <summary>The leap is 30 min (of TAI) into the shortened runs.</summary>
    private const double LeapS = 1800;

    private sealed record Probe(double TimeS, long UtcOffsetNs, ClockStatus KernelStatus, KernelLeapState LeapState, long CommandedSteps);

    private sealed record Run(SimulationResult Result, IReadOnlyList<Probe> Probes)
    {
        /// <summary>Probes away from the leap instant itself (within a second of it a µs of offset is a whole second of UTC).</summary>
        public IEnumerable<Probe> AwayFromTheLeap(double fromS = 120) =>
            Probes.Where(p => p.TimeS >= fromS && Math.Abs(p.TimeS - LeapS) > 1.5);

        public double MaxAbsUtcOffsetNs(double fromS = 120) => AwayFromTheLeap(fromS).Max(p => Math.Abs((double)p.UtcOffsetNs));

        /// <summary>The guest's offset from true UTC at the probe nearest <paramref name="timeS"/>.</summary>
        public double UtcOffsetSAt(double timeS) => Probes.MinBy(p => Math.Abs(p.TimeS - timeS))!.UtcOffsetNs / 1e9;

        public bool KernelEverToldToInsert => Probes.Any(p => p.KernelStatus.HasFlag(ClockStatus.InsertLeap));

        public bool KernelInsertedTheSecond => Probes.Any(p => p.LeapState is KernelLeapState.InProgress or KernelLeapState.Wait);

        /// <summary>Steps after the first two minutes (the first reading steps the guest onto its reference).</summary>
        public long Steps => Probes[^1].CommandedSteps - Probes.First(p => p.TimeS >= 120).CommandedSteps;
    }

    /// <summary>A built-in leap scenario starting 30 min before its leap and lasting <paramref name="durationS"/>.</summary>
    private static Scenario Shortened(string name, double durationS = 2700) => ScenarioCatalog.Get(name) with
    {
        StartUtc = "2026-12-31T23:30:00Z",
        DurationS = durationS,
        Events = [new ScenarioEvent { TS = LeapS, Kind = ScenarioEvent.Leap, LeapDirection = "insert" }],
    };

    private static Run Simulate(Scenario scenario, LeapPolicy policy)
    {
        ScenarioWorld? world = null;
        var probes = new List<Probe>();
        var startNs = 0L;
        var result = SimulationRunner.Run(scenario, w =>
            {
                world = w;
                startNs = w.StartTrueNs;
                return SimulationRunner.Virtsync(new SyncEngineOptions { Leap = policy })(w);
            }, policy,
            onSnapshot: _ =>
            {
                var clock = world!.GuestClock;
                probes.Add(new Probe((world.World.TrueNs - startNs) / 1e9, clock.TrueOffsetNs, clock.ReadState().Value.Status,
                    clock.LeapState, clock.CommandedStepCount));
            });
        return new Run(result, probes);
    }

    private static string Describe(Run run) =>
        $"max |UTC offset| {run.MaxAbsUtcOffsetNs() / 1e6:0.###} ms, at leap-600 s {run.UtcOffsetSAt(LeapS - 600):0.######} s, " +
        $"leap-10 s {run.UtcOffsetSAt(LeapS - 10):0.######} s, leap+10 s {run.UtcOffsetSAt(LeapS + 10):0.######} s, " +
        $"end {run.Probes[^1].UtcOffsetNs / 1e9:0.######} s; steps {run.Steps}; STA_INS {run.KernelEverToldToInsert}, " +
        $"inserted {run.KernelInsertedTheSecond}";

    [Theory]
    [InlineData("leap-utc")]
    [InlineData("leap-tai")]
    [InlineData("leap-smeared-sls")]
    [InlineData("leap-smeared-noon")]
    [InlineData("leap-maybe-smeared")]
    public void KernelKeepsTrueUtcAndHasTheKernelInsertTheSecond(string name)
    {
        // "unsmear": a smeared reference is turned back into UTC, so the guest keeps UTC through the smear window
        // (which under follow-smear would put it up to 1 s off) and the kernel inserts the second at midnight.
        var run = Simulate(Shortened(name), LeapPolicy.Kernel);

        Assert.True(run.MaxAbsUtcOffsetNs() < 1_000_000, $"{name}: {Describe(run)}");
        Assert.True(run.Probes.Where(p => p.TimeS is > 120 and < LeapS - 2).Any(p => p.KernelStatus.HasFlag(ClockStatus.InsertLeap)),
            $"{name}: STA_INS never set before the leap; {Describe(run)}");
        Assert.True(run.KernelInsertedTheSecond, $"{name}: {Describe(run)}");
        Assert.Equal(0, run.Steps);
    }

    [Theory]
    [InlineData("leap-smeared-sls")]
    [InlineData("leap-smeared-noon")]
    public void FollowSmearFollowsTheSmearWithoutAKernelLeap(string name)
    {
        var run = Simulate(Shortened(name), LeapPolicy.FollowSmear);

        // The smeared clock's distance from UTC, computed here from the smear's definition: UTC-SLS slows by 0.1 % over
        // the 1000 s before midnight; noon-linear by 1/86400 from noon to noon (1 s over 86401 s of TAI).
        double Expected(double timeS) => name == "leap-smeared-sls"
            ? timeS < LeapS - 1000 ? 0 : timeS < LeapS ? -(timeS - (LeapS - 1000)) / 1000 : 0
            : -(timeS + 11.5 * 3600) / 86401 + (timeS >= LeapS ? 1 : 0);
        foreach (var at in new[] { LeapS - 1200, LeapS - 500, LeapS - 10, LeapS + 10, LeapS + 600 })
        {
            var offset = run.UtcOffsetSAt(at);
            Assert.True(Math.Abs(offset - Expected(at)) < 0.001, $"{name} at t {at} s: guest - UTC {offset:0.######} s, the smear is {Expected(at):0.######} s; {Describe(run)}");
        }
        Assert.False(run.KernelEverToldToInsert, $"{name}: {Describe(run)}");
        Assert.False(run.KernelInsertedTheSecond, $"{name}: {Describe(run)}");
        Assert.Equal(0, run.Steps);
        // The trace's error is against the smear followed: small all along.
        var traceError = run.Result.Trace.Where(p => p.TimeS >= 120 && Math.Abs(p.TimeS - LeapS) > 1.5).Max(p => Math.Abs((double)p.ErrorNs));
        Assert.True(traceError < 1_000_000, $"{name}: max |error from the smear| {traceError / 1e6:0.###} ms");
    }

    [Fact]
    public void SlewLeavesTheKernelAloneAndSlewsTheSecondAway()
    {
        var run = Simulate(Shortened("leap-utc", 3600), LeapPolicy.Slew);

        Assert.False(run.KernelEverToldToInsert, Describe(run));
        Assert.False(run.KernelInsertedTheSecond, Describe(run));
        Assert.Equal(0, run.Steps);
        // On UTC until the leap; then the guest, not told, is a second ahead of UTC ...
        Assert.True(run.Probes.Where(p => p.TimeS is > 120 and < LeapS - 2).Max(p => Math.Abs(p.UtcOffsetNs)) < 1_000_000, Describe(run));
        Assert.InRange(run.UtcOffsetSAt(LeapS + 2), 0.9, 1.001);
        // ... which is slewed away (within the 10 % the kernel's tick allows, so no read sees a jump) ...
        var afterLeap = run.Probes.Where(p => p.TimeS > LeapS + 1.5).ToList();
        var largestChangeS = afterLeap.Zip(afterLeap.Skip(1)).Max(p => Math.Abs(p.Second.UtcOffsetNs - p.First.UtcOffsetNs)) / 1e9;
        var trail = string.Join(", ", afterLeap.Take(30).Select(p => $"{p.TimeS - LeapS:0}:{p.UtcOffsetNs / 1e9:0.###}"));
        Assert.True(largestChangeS < 0.11, $"largest change between reads {largestChangeS:0.###} s; {trail}");
        // ... to leave the guest on UTC again.
        Assert.True(run.MaxAbsUtcOffsetNs(LeapS + 600) < 1_000_000, $"{Describe(run)}; {trail}");
    }
}
