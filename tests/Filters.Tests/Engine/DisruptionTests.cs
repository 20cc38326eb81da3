using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Engine;

/// <summary>
/// The hypervisor announces a clock disruption (vmclock's marker changed: snapshot restore, migration) before any
/// sample shows it: the engine drops its estimate, tells the kernel "unsynchronized" with maxerror 16 s at once, and
/// treats the next sample as the disruption's jump.
/// </summary>
public class DisruptionTests
{
    private const int ReadsPerSecond = 4;

    private sealed record Outcome(SyncEngine Engine, ClockCommand AtDisruption, List<(ClockCommand Command, int Read)> Commands, List<long> OffsetsAfterNs);

    private static Outcome DisruptAndRun(long restoreBehindNs, int secondsAfter, StepPolicy? steps = null)
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 20, initialOffsetNs: 5_000, seed: 11);
        var options = steps is null ? new SyncEngineOptions() : new SyncEngineOptions { Discipline = new DisciplineControllerOptions { Steps = steps } };
        var engine = new SyncEngine(options, LeapSecondTable.Embedded);
        void Read(List<(ClockCommand, int)>? commands, int i)
        {
            clock.Advance(1_000_000_000L / ReadsPerSecond);
            if (engine.OnReading("ptp0", clock.Read(9, ClockScale.Utc)) is { } command)
            {
                clock.Apply(command);
                commands?.Add((command, i));
            }
        }
        for (var i = 0; i < 120 * ReadsPerSecond; i++)
            Read(null, i);
        Assert.Equal(0, engine.Jumps);

        clock.Pause(restoreBehindNs); // the restored VM's clock is behind by this much (0: the marker alone)
        var atDisruption = engine.OnDisruption(clock.LocalNow);
        clock.Apply(atDisruption);
        var commands = new List<(ClockCommand, int)>();
        var offsets = new List<long>();
        for (var i = 0; i < secondsAfter * ReadsPerSecond; i++)
        {
            Read(commands, i);
            offsets.Add(clock.TrueOffsetNs);
        }
        return new Outcome(engine, atDisruption, commands, offsets);
    }

    private static void AssertUnsynchronizedAtOnce(ClockCommand command)
    {
        Assert.True(command.Status!.Value.HasFlag(ClockStatus.Unsynchronized));
        Assert.Equal(DisciplineController.UnsynchronizedMaxError, command.MaxError);
        Assert.Null(command.Step);
    }

    [Fact]
    public void ARestoredClockSecondsBehindIsSteppedAtTheFirstSampleAfterTheMarker()
    {
        var r = DisruptAndRun(30 * Duration.NanosecondsPerSecond, 30);

        AssertUnsynchronizedAtOnce(r.AtDisruption);
        Assert.Equal(1, r.Engine.Disruptions);
        var (step, read) = Assert.Single(r.Commands, c => c.Command.Step is not null);
        Assert.Equal(0, read);
        Assert.Equal(StepReason.Jump, step.StepReason);
        Assert.InRange(step.Step!.Value.TotalSeconds, 29.999, 30.001);
        Assert.True(r.OffsetsAfterNs.Max(Math.Abs) < 50_000, $"max |offset| after the first sample {r.OffsetsAfterNs.Max(Math.Abs)} ns");
        var resynced = r.Commands.First(c => c.Command.Status is { } s && !s.HasFlag(ClockStatus.Unsynchronized)).Read;
        Assert.True(resynced <= 5 * ReadsPerSecond, $"synchronized again at read {resynced}");
        var last = r.Commands.Last(c => c.Command.MaxError is not null).Command;
        Assert.True(last.MaxError < Duration.FromMicroseconds(100), $"maxerror {last.MaxError}");
    }

    [Fact]
    public void TheMarkerAloneWidensTheBoundUntilTheEstimateIsBackWithoutAStep()
    {
        var r = DisruptAndRun(0, 30);

        AssertUnsynchronizedAtOnce(r.AtDisruption);
        Assert.DoesNotContain(r.Commands, c => c.Command.Step is not null);
        Assert.Equal(0, r.Engine.Jumps);
        // Unsynchronized (maxerror 16 s) until an update finds the clock within 1 ms, then back within 5 s.
        var resynced = r.Commands.First(c => c.Command.Status is { } s && !s.HasFlag(ClockStatus.Unsynchronized)).Read;
        Assert.True(resynced <= 5 * ReadsPerSecond, $"synchronized again at read {resynced}");
        Assert.All(r.Commands.Where(c => c.Read < resynced && c.Command.MaxError is not null),
            c => Assert.Equal(DisciplineController.UnsynchronizedMaxError, c.Command.MaxError));
        Assert.True(r.OffsetsAfterNs.Max(Math.Abs) < 50_000);
    }

    [Fact]
    public void WithoutStepsTheRestoredOffsetIsSlewedNotStepped()
    {
        var r = DisruptAndRun(2 * Duration.NanosecondsPerSecond, 10, StepPolicy.Never);

        AssertUnsynchronizedAtOnce(r.AtDisruption);
        Assert.DoesNotContain(r.Commands, c => c.Command.Step is not null);
        Assert.Equal(1, r.Engine.Jumps);
        Assert.All(r.Commands.Where(c => c.Command.Status is not null),
            c => Assert.True(c.Command.Status!.Value.HasFlag(ClockStatus.Unsynchronized), $"read {c.Read}: synchronized while seconds off"));
    }
}
