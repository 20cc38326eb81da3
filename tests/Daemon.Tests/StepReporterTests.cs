using Microsoft.Extensions.Logging;
using Sync.Daemon.Pipeline;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

public sealed class StepReporterTests
{
    private static (SyncLoop Loop, ToyGuest Guest, ListLogger Log) Rig(SyncEngineOptions options)
    {
        var guest = new ToyGuest();
        var phc = new ToyPhc(guest, "/dev/ptp0");
        var pipeline = new EnginePipeline(options, LeapSecondTable.Embedded, 9, Duration.FromMilliseconds(250));
        var loop = new SyncLoop(pipeline, [phc], guest);
        var log = new ListLogger();
        var reporter = new StepReporter(log, pipeline.Engine);
        loop.CommandIssued += reporter.OnCommand;
        loop.Updated += _ => reporter.AfterStep();
        return (loop, guest, log);
    }

    private static void Run(SyncLoop loop, ToyGuest guest, int seconds)
    {
        for (var i = 0; i < seconds * 4; i++)
        {
            guest.Advance(TimeSpan.FromMilliseconds(250));
            loop.Step();
        }
    }

    [Fact]
    public void EveryStepIsLoggedAtWarningWithItsSizeAndReasonAndCountedByReason()
    {
        var (loop, guest, log) = Rig(new SyncEngineOptions());
        Run(loop, guest, 30);
        // The toy guest starts 40 us ahead: the startup step.
        var startup = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Warning, startup.Level);
        Assert.Equal("stepped the clock by -0.000040000 s (reason: startup)", startup.Message);

        // The VM is paused for 10 s: its clock comes back 10 s behind.
        guest.Apply(new ClockCommand { Step = Duration.FromSeconds(-10) });
        Run(loop, guest, 10);

        Assert.Equal(3, log.Entries.Count);
        Assert.All(log.Entries, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.StartsWith("clock jump: the offset moved by -10.000000 s between two samples", log.Entries[1].Message);
        Assert.EndsWith("stepping back", log.Entries[1].Message);
        Assert.Matches(@"^stepped the clock by \+10\.0000\d{5} s \(reason: jump\)$", log.Entries[2].Message);
        Assert.Equal([(StepReason.Startup, 1L), (StepReason.Discontinuity, 0L), (StepReason.Jump, 1L)], loop.Current!.StepsByReason);
        Assert.Equal(1, loop.Current.Jumps);
        Assert.InRange(guest.LocalNs - guest.TrueNs, -1_000, 1_000);
    }

    [Fact]
    public void AJumpThatMayNotBeSteppedIsStillReported()
    {
        var (loop, guest, log) = Rig(new SyncEngineOptions { Discipline = new DisciplineControllerOptions { Steps = StepPolicy.Never } });
        Run(loop, guest, 30);
        guest.Apply(new ClockCommand { Step = Duration.FromSeconds(-2) });
        Run(loop, guest, 2);

        var jump = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Warning, jump.Level);
        Assert.Contains("moved by -2.000000 s", jump.Message);
        Assert.EndsWith("slewing (steps after a discontinuity are not allowed)", jump.Message);
    }

    [Fact]
    public void AnObservingEngineSaysWhatWouldBeSteppedNotThatItStepped()
    {
        // The guest is read but never steered: the loop's commands go to a clock nobody reads (as a dry run's do).
        var guest = new ToyGuest();
        var pipeline = new EnginePipeline(new SyncEngineOptions { Control = ClockControl.Observe }, LeapSecondTable.Embedded, 9, Duration.FromMilliseconds(250));
        var loop = new SyncLoop(pipeline, [new ToyPhc(guest, "/dev/ptp0")], new ToyGuest());
        var log = new ListLogger();
        var reporter = new StepReporter(log, pipeline.Engine);
        loop.CommandIssued += reporter.OnCommand;
        var proposals = 0;
        loop.CommandIssued += c => proposals += c.Step is null ? 0 : 1;
        loop.Updated += _ => reporter.AfterStep();
        Run(loop, guest, 30);

        // Every startup update proposes the step again (nothing corrects it): one line for the episode.
        var line = Assert.Single(log.Entries);
        Assert.Equal("observing only: a steering daemon would step the clock by -0.000040000 s (reason: startup); not applied (further proposals are not logged until none has come for 60 s)", line.Message);
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.True(proposals > 1, $"only {proposals} step proposals: the test shows no repeat");
    }

    [Fact]
    public void AnObservingEngineSaysAgainOnlyAfterAMinuteWithoutProposals()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var pipeline = new EnginePipeline(new SyncEngineOptions { Control = ClockControl.Observe }, LeapSecondTable.Embedded, 9, Duration.FromMilliseconds(250));
        var log = new ListLogger();
        var reporter = new StepReporter(log, pipeline.Engine, time);
        var step = new ClockCommand { Step = Duration.FromMilliseconds(-3), StepReason = StepReason.Discontinuity };

        reporter.OnCommand(step);
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            reporter.OnCommand(step);
        }
        Assert.Single(log.Entries);
        time.Advance(StepReporter.WouldStepEpisodeGap);
        reporter.OnCommand(step);

        Assert.Equal(2, log.Entries.Count);
        Assert.Equal("observing only: a steering daemon would step the clock by -0.003000000 s (reason: discontinuity); not applied (5 more proposals in the previous episode were not logged)", log.Entries[1].Message);
    }
}
