using Sync.Daemon.Simulation;

namespace Sync.Daemon.Tests.Simulation;

public class ReportCalculatorTests
{
    private static List<TracePoint> Trace(params (double T, long OffsetNs, long BoundNs)[] points) =>
        points.Select(p => new TracePoint(p.T, p.OffsetNs, p.BoundNs, null, "Tracking")).ToList();

    [Fact]
    public void ConvergenceIsTheFirstTimeTheOffsetStaysUnderOneMicrosecond()
    {
        var trace = Trace((0, 50_000, 60_000), (1, 900, 1_000), (2, 1_500, 2_000), (3, 500, 600), (4, -400, 600), (5, 300, 600));
        var report = ReportCalculator.Compute("t", 1, 6, trace, [], 0, 0);

        Assert.Equal(3, report.ConvergeS);
        Assert.Equal(500, report.MaxAbsOffsetNs);
        Assert.Equal(Math.Sqrt((500.0 * 500 + 400.0 * 400 + 300.0 * 300) / 3), report.RmsOffsetNs!.Value, 6);
        Assert.Equal(1.0, report.BoundCoverage);
    }

    [Fact]
    public void CoverageCountsSamplesOutsideTheBound()
    {
        var trace = Trace((0, 100, 200), (1, 300, 200), (2, 100, 200), (3, -100, 200));
        var report = ReportCalculator.Compute("t", 1, 4, trace, [], 0, 0);

        Assert.Equal(0.75, report.BoundCoverage);
    }

    [Fact]
    public void EachEventGetsItsRecoveryTime()
    {
        var trace = Trace((0, 10, 20), (1, 10, 20), (2, 50_000, 60_000), (3, 5_000, 6_000), (4, 800, 900), (5, 100, 200));
        var report = ReportCalculator.Compute("t", 1, 6, trace, [(2.0, "guest_step")], 1, 1);

        Assert.Equal(0, report.ConvergeS);
        Assert.Single(report.Events);
        Assert.Equal(2.0, report.Events[0].RecoveryS);
    }

    [Fact]
    public void NoBoundMeansNoCoverageFigure()
    {
        var report = ReportCalculator.Compute("t", 1, 2, Trace((0, 10, -1), (1, 10, -1)), [], 0, 0);

        Assert.Null(report.BoundCoverage);
    }

    [Fact]
    public void NeverConvergingLeavesTheFiguresEmpty()
    {
        var report = ReportCalculator.Compute("t", 1, 2, Trace((0, 5_000, 1), (1, 5_000, 1)), [], 0, 0);

        Assert.Null(report.ConvergeS);
        Assert.Null(report.RmsOffsetNs);
    }

    private static List<TracePoint> Trace(Func<int, long> offsetAt, int seconds) =>
        Enumerable.Range(0, seconds).Select(i => new TracePoint(i, offsetAt(i), 2_000, null, "")).ToList();

    [Fact]
    public void SimultaneousEventsShareTheRecoveryWindow()
    {
        // Converged from 5 s; at 50 s a step and a frequency jump; back under 1 us from 70 s.
        var trace = Trace(i => i < 5 ? 10_000 : i is >= 50 and < 70 ? 5_000_000 : 100, 100);

        var report = ReportCalculator.Compute("x", 1, 100, trace, [(50.0, "guest_step"), (50.0, "guest_freq_jump")], 1, 1);

        Assert.Equal(5, report.ConvergeS);
        Assert.All(report.Events, e => Assert.Equal(20, e.RecoveryS));
    }

    [Fact]
    public void RecoveryThatNeverHappensIsNull()
    {
        var trace = Trace(i => i < 50 ? 0 : 5_000, 100);

        var report = ReportCalculator.Compute("x", 1, 100, trace, [(50.0, "guest_step")], 0, 0);

        Assert.Null(report.Events[0].RecoveryS);
        Assert.Equal(5_000, report.MaxAbsOffsetNs);
    }
}
