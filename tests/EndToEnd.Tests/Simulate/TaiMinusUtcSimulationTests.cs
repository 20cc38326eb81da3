using Sync.Clock.Simulation;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;
using Sync.Filters.Selection;
using Sync.Filters.Status;

namespace Sync.EndToEnd.Tests.Simulate;

/// <summary>
/// TAI - UTC from a simulated device that serves a TAI and a UTC clock (also_served_clocks), through `simulate`'s
/// whole composition: the virtio-rtc device, the clocks in `sync`'s order, the sync loop reading both (combine), the
/// engine, and the simulated kernel's TAI offset (ADJ_TAI) at the end (report.json's kernel_tai_offset_s).
/// </summary>
public class TaiMinusUtcSimulationTests
{
    /// <summary>2026-03-02: the embedded leap table (expires 2026-06-28) is valid.</summary>
    private const string TableValid = "2026-03-02T00:00:00Z";

    private static Scenario TaiAndUtc(string name, double durationS, int? hostTaiOffsetS = null) => new()
    {
        Name = name,
        StartUtc = TableValid,
        DurationS = durationS,
        Seed = 4,
        ServedClock = "tai",
        AlsoServedClocks = ["utc"],
        HostTaiOffsetS = hostTaiOffsetS,
        ReadingMode = "extended",
        SamplesPerReading = 5,
        InitialGuestOffsetMs = 2,
        Oscillator = new OscillatorSettings { OffsetPpm = 12.5, WanderPpmPerSqrtS = 0.0005 },
        Delay = new DelaySettings { BaseDelayNs = 20_000, JitterNs = 2_000, JitterDistribution = "lognormal" },
    };

    private static (SimulationReport Report, SyncSnapshot Last, IReadOnlyList<TracePoint> Trace) Run(Scenario scenario)
    {
        SyncSnapshot? last = null;
        var result = SimulationRunner.Run(scenario, SimulationRunner.Virtsync(new SyncEngineOptions()), LeapPolicy.Kernel,
            onSnapshot: s => last = s);
        return (result.Report, last!, result.Trace);
    }

    private static double MaxAbsErrorNs(IReadOnlyList<TracePoint> trace, double fromS) =>
        trace.Where(p => p.TimeS >= fromS).Max(p => Math.Abs((double)p.ErrorNs));

    [Fact]
    public void WithAValidTableThatAgreesTheKernelGetsItAndBothClocksAreUsed()
    {
        var (report, last, trace) = Run(TaiAndUtc("tai-utc-valid", 600));

        Assert.Equal(37, report.TrueTaiMinusUtcS);
        Assert.Equal(37, report.ObservedTaiMinusUtcS);
        Assert.False(report.ObservedTaiMinusUtcDisagreesWithTable);
        Assert.Equal(37, report.KernelTaiOffsetS);
        // Read in sync's order (TAI first) and both used: the TAI clock is followed.
        Assert.Equal("/dev/ptp-sim0", last.SelectedSource);
        Assert.All(last.Sources, s => Assert.True(s.Samples > 500, $"{s.Path} ({s.Scale}): {s.Samples} samples, {s.LastFailure}"));
        Assert.True(MaxAbsErrorNs(trace, 300) < 20_000, $"max |error| {MaxAbsErrorNs(trace, 300):0} ns");
    }

    [Fact]
    public void WhereTheTableHasExpiredTheKernelsTaiOffsetComesFromTheDevice()
    {
        // The guest has only the embedded table (expired 2026-06-28); a leap it does not know is inserted at
        // 2027-01-01T00:00:00Z, 30 min into the run: TAI - UTC 37 -> 38 s.
        var scenario = ScenarioCatalog.Get("leap-unannounced") with { DurationS = 2700 };
        var (report, last, trace) = Run(scenario);

        Assert.Equal(38, report.TrueTaiMinusUtcS);
        Assert.Equal(38, report.ObservedTaiMinusUtcS);
        Assert.True(report.ObservedTaiMinusUtcDisagreesWithTable); // with the expired table's 37
        Assert.Equal(38, report.KernelTaiOffsetS);
        Assert.Equal("Tracking", trace[^1].State);
        // The TAI clock is converted with the device's 38 s: it agrees with the UTC clock (not a second off) and the
        // guest is on true UTC.
        var tai = last.Sources.Single(s => s.Path == "/dev/ptp-sim0");
        Assert.True(tai.LastOffset!.Value.Nanoseconds is > -50_000 and < 50_000, $"TAI clock's last offset {tai.LastOffset}, {tai.Verdict}");
        Assert.NotEqual(SourceVerdict.Falseticker, tai.Verdict);
        Assert.True(MaxAbsErrorNs(trace, 2100) < 20_000, $"max |error| after the leap {MaxAbsErrorNs(trace, 2100):0} ns");

        // The same world without the device's UTC clock: the expired table's 37 s is all there is.
        var taiOnly = Run(scenario with { AlsoServedClocks = [] });
        Assert.Null(taiOnly.Report.ObservedTaiMinusUtcS);
        Assert.Equal(37, taiOnly.Report.KernelTaiOffsetS);
        Assert.True(MaxAbsErrorNs(taiOnly.Trace, 2100) > 900_000_000, "a TAI clock read with the stale 37 s leaves the guest a second off");
    }

    [Fact]
    public void ADeviceThatDisagreesWithAValidTableIsShownAndItsTaiClockIsNotUsed()
    {
        // A host that never set its kernel's TAI offset: its TAI clock serves UTC + 0.
        var (report, last, trace) = Run(TaiAndUtc("tai-utc-host-unset", 600, hostTaiOffsetS: 0));

        Assert.Equal(0, report.ObservedTaiMinusUtcS);
        Assert.True(report.ObservedTaiMinusUtcDisagreesWithTable);
        Assert.Equal(37, report.KernelTaiOffsetS); // the valid table's, not the device's
        var tai = last.Sources.Single(s => s.Path == "/dev/ptp-sim0");
        Assert.Equal(0, tai.Samples);
        Assert.Contains("not used", tai.LastFailure);
        Assert.Equal("/dev/ptp-sim1", last.SelectedSource);
        Assert.True(report.Steps <= 1, $"{report.Steps} steps");
        Assert.True(MaxAbsErrorNs(trace, 300) < 20_000, $"max |error| {MaxAbsErrorNs(trace, 300):0} ns");
    }

    [Fact]
    public void AnExpiredTableIsNotReplacedByAHostThatNeverSetItsTaiOffset()
    {
        // Before the unannounced leap: the device shows 0 s, 37 from the expired table, more than the 7 leaps that can
        // have happened since its expiry.
        var scenario = ScenarioCatalog.Get("leap-unannounced") with { DurationS = 1500, HostTaiOffsetS = 0 };
        var (report, last, trace) = Run(scenario);

        Assert.Equal(0, report.ObservedTaiMinusUtcS);
        Assert.Equal(37, report.KernelTaiOffsetS);
        Assert.Equal("/dev/ptp-sim1", last.SelectedSource);
        Assert.True(MaxAbsErrorNs(trace, 300) < 20_000, $"max |error| {MaxAbsErrorNs(trace, 300):0} ns");
    }
}
