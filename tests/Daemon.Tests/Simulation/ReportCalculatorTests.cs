using Sync.Daemon.Simulation;

namespace Sync.Daemon.Tests.Simulation;

public class ReportCalculatorTests
{
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
