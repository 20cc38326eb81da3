using Sync.Daemon.Simulation;

namespace Sync.Daemon.Tests.Simulation;

public class ReportCalculatorTests
{
    // No warm-up and a 10 s event window unless a test says otherwise, so the figures are easy to check by hand.
    private static readonly FigureRules Rules = new() { WarmUpMinS = 0, WarmUpReads = 0, EventWindowMinS = 10, EventWindowReads = 0 };

    private static List<TracePoint> Trace(Func<int, long> offsetAt, int seconds, long boundNs = 2_000) =>
        Enumerable.Range(0, seconds).Select(i => new TracePoint(i, offsetAt(i), boundNs, null, "")).ToList();

    private static SimulationReport Compute(List<TracePoint> trace, params (double, string)[] events) =>
        ReportCalculator.Compute("t", 1, trace.Count, trace, events, 0, 0, 1, Rules);

    [Fact]
    public void SteadyFiguresSplitBiasFromScatterAndCountEveryPointAfterTheWarmUp()
    {
        // 100 + -/+ 30 alternating: mean 100, std 30, RMS sqrt(100^2 + 30^2).
        var trace = Trace(i => i % 2 == 0 ? 70 : 130, 100);

        var report = Compute(trace);

        Assert.Equal(100, report.MeanOffsetNs!.Value, 9);
        Assert.Equal(30, report.StdOffsetNs!.Value, 9);
        Assert.Equal(Math.Sqrt(100 * 100 + 30 * 30), report.RmsOffsetNs!.Value, 9);
        Assert.Equal(130, report.MaxAbsOffsetNs);
        Assert.Equal(100, report.SteadySamples);
        Assert.Equal(2_000 / Math.Sqrt(100 * 100 + 30 * 30), report.MedianBoundOverRms!.Value, 9);
    }

    [Fact]
    public void TheWarmUpIsFixedAndNotChosenByThePipeline()
    {
        // A pipeline that is terrible for 400 s and then perfect: the default rules judge from 300 s on, so its
        // bad stretch counts (the old rule started at "converged" and hid it).
        var trace = Trace(i => i < 400 ? 50_000 : 0, 1000);

        var report = ReportCalculator.Compute("t", 1, 1000, trace, [], 0, 0, 1, FigureRules.Default);

        Assert.Equal(300, report.WarmUpS);
        Assert.Equal(700, report.SteadySamples);
        Assert.Equal(50_000, report.MaxAbsOffsetNs);
        Assert.Equal(Math.Sqrt(100.0 / 700) * 50_000, report.RmsOffsetNs!.Value, 6);
    }

    [Fact]
    public void WarmUpScalesWithTheReadIntervalButLeavesHalfTheRun()
    {
        Assert.Equal(300, FigureRules.Default.WarmUpS(1, 7200));
        Assert.Equal(32 * 64, FigureRules.Default.WarmUpS(64, 20_000));
        Assert.Equal(60, FigureRules.Default.WarmUpS(1, 120));
        Assert.Equal(8 * 64, FigureRules.Default.EventWindowS(64));
    }

    [Fact]
    public void CoverageCountsSamplesOutsideTheBoundInsideAndOutsideEventWindows()
    {
        var trace = Trace(i => i is 3 or 25 ? 5_000 : 100, 40);

        var report = Compute(trace, (20.0, "guest_step"));

        Assert.Equal(29.0 / 30, report.BoundCoverage!.Value, 9); // 40 points, 10 in the window, one miss at 3 s
        Assert.Equal(0.9, report.EventBoundCoverage!.Value, 9); // 10 in the window, one miss at 25 s
        Assert.Equal(40, report.BoundedSamples);
        Assert.Equal(2, report.UncoveredSamples);
    }

    [Fact]
    public void NoBoundMeansNoCoverageFigure()
    {
        var report = Compute(Trace(_ => 10, 5, boundNs: -1));

        Assert.Null(report.BoundCoverage);
        Assert.Null(report.MedianBoundNs);
        Assert.NotNull(report.RmsOffsetNs);
    }

    [Fact]
    public void OneNoisySampleDoesNotDecideConvergence()
    {
        // Under 1 us from 5 s on, except one 1.5 us sample at 90 s: the old "stays under 1 us from then on" rule
        // would have said 91 s; the error stayed within 1 us for 60 s from 5 s on.
        var trace = Trace(i => i < 5 ? 10_000 : i == 90 ? 1_500 : 100, 200);

        var report = Compute(trace);

        Assert.Equal(5, report.ConvergeS);
    }

    [Fact]
    public void RecoveryIsBackWithinTenTimesTheSteadyRmsAndStayingThereForSixtySeconds()
    {
        // Steady 50 ns (RMS < 100 ns, so X = the 1 us floor); a step at 100 s; within X from 110 s, one 1.2 us excursion at
        // 130 s (inside 60 s of 110, so 110 does not count), within from 131 s for good.
        var trace = Trace(i => i is >= 100 and < 110 ? 3_000_000 : i == 130 ? 1_200 : 50, 400);

        var report = Compute(trace, (100.0, "guest_step"));

        var e = Assert.Single(report.Events);
        Assert.Equal(1_000, e.ThresholdNs);
        Assert.Equal(31, e.RecoveryS);
        Assert.Equal(3_000_000, e.MaxAbsErrorNs);
    }

    [Fact]
    public void TheRecoveryThresholdFollowsTheSteadyRms()
    {
        // Steady error 5 us: X = 50 us, so a run that settles back at 5 us after a step recovers at once.
        var trace = Trace(i => i is >= 100 and < 103 ? 3_000_000 : 5_000, 400, boundNs: 50_000);

        var report = Compute(trace, (100.0, "guest_step"));

        Assert.Equal(50_000, report.Events[0].ThresholdNs);
        Assert.Equal(3, report.Events[0].RecoveryS);
    }

    [Fact]
    public void SimultaneousEventsShareTheRecoveryWindow()
    {
        var trace = Trace(i => i is >= 50 and < 58 ? 5_000_000 : 100, 200);

        var report = Compute(trace, (50.0, "guest_step"), (50.0, "guest_freq_jump"));

        Assert.All(report.Events, e => Assert.Equal(8, e.RecoveryS));
    }

    [Fact]
    public void RecoveryThatNeverHappensIsNull()
    {
        // Off by 5 us from the event to the end (inside its window, so the steady RMS stays 0 and X = 1 us).
        var report = Compute(Trace(i => i < 50 ? 0 : 5_000, 58), (50.0, "guest_step"));

        Assert.Null(report.Events[0].RecoveryS);
    }

    [Fact]
    public void AnOutageIsLeftOutOfTheSteadyFiguresAndJudgedFromTheDevicesReturn()
    {
        // Device gone 100..200 s: the error grows to 50 us; back within 1 us 5 s after the return.
        var trace = Trace(i => i is >= 100 and < 205 ? 50_000 : 100, 400);

        var report = Compute(trace, (100.0, "device_removed"), (200.0, "device_returned"));

        var e = Assert.Single(report.Events);
        Assert.Equal("device_removed", e.Kind);
        Assert.Equal(5, e.RecoveryS);
        Assert.Equal(100, report.MaxAbsOffsetNs);
        Assert.Equal(400 - 110, report.SteadySamples);
    }

    [Fact]
    public void TheErrorIsMeasuredAgainstTheServedClock()
    {
        // The served clock stepped +1 ms at 50 s and the guest followed: no error, no event cost.
        var trace = Enumerable.Range(0, 200).Select(i => new TracePoint(i, i >= 50 ? 1_000_100 : 100, 2_000, null, "", i >= 50 ? 1_000_000 : 0)).ToList();

        var report = Compute(trace, (50.0, "served_step"));

        Assert.Equal(100, report.MaxAbsOffsetNs);
        Assert.Equal(0, report.Events[0].RecoveryS);
    }
    [Fact]
    public void DiscontinuitiesOutsideEventsCountOnlyChangesTheWorldDidNotMake()
    {
        // Followed changes at 5 s (warm-up), 52 s (inside the 10 s window of the event at 50 s), 120 s and 150 s
        // (twice): only the last three are changes the world did not make.
        var rules = Rules with { WarmUpMinS = 20 };
        var trace = Enumerable.Range(0, 200).Select(i => new TracePoint(i, 100, 2_000, null, "",
            Discontinuities: i switch { 5 => 1, 52 => 1, 120 => 1, 150 => 2, _ => 0 })).ToList();

        var report = ReportCalculator.Compute("t", 1, trace.Count, trace, [(50.0, "served_step")], 0, 5, 1, rules);

        Assert.Equal(5, report.Discontinuities);
        Assert.Equal(3, report.DiscontinuitiesOutsideEvents);
    }
}
