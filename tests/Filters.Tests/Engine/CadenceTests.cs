using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Engine;

/// <summary>Any cadence (issue 14, part 2): the engine updates on every reading, from 10 ms to an hour between
/// readings, and the time constants that are not counted in readings follow the read interval.</summary>
public class CadenceTests
{
    [Theory]
    [InlineData(0.05, 120)]
    [InlineData(1.0, 600)]
    [InlineData(16.0, 4 * 3600)]
    [InlineData(64.0, 12 * 3600)]
    public void ConvergesAndUpdatesOnEveryReading(double readIntervalS, double durationS)
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 12, initialOffsetNs: 200_000, seed: 3);
        var interval = Duration.FromSeconds(readIntervalS);
        var engine = new SyncEngine(new SyncEngineOptions { ReadInterval = interval }, LeapSecondTable.Embedded);
        int readings = (int)(durationS / readIntervalS), commands = 0;
        var offsets = new List<long>();
        for (var i = 0; i < readings; i++)
        {
            clock.Advance(interval.Nanoseconds);
            if (engine.OnReading("ptp0", clock.Read(9, ClockScale.Utc)) is { } command)
            {
                clock.Apply(command);
                commands++;
            }
            offsets.Add(clock.TrueOffsetNs);
        }
        Assert.Equal(readings, commands);
        // Error of the toy readings: 2 us delay with 100 ns jitter; the last quarter must be well inside 1 us.
        var last = offsets.Skip(readings * 3 / 4).ToList();
        Assert.True(last.Max(Math.Abs) < 1_000, $"max |offset| over the last quarter {last.Max(Math.Abs)} ns at {readIntervalS} s");
        // The controller slews over its measured update interval: the read interval on the local clock.
        Assert.InRange(engine.Controller.UpdateInterval.Nanoseconds, interval.Nanoseconds * 0.999, interval.Nanoseconds * 1.001);
    }

    [Theory]
    [InlineData(0.25, 2.0, false)]
    [InlineData(0.25, 4.0, true)]
    [InlineData(16.0, 20.0, false)]
    [InlineData(16.0, 40.0, false)]
    [InlineData(16.0, 50.0, true)]
    public void HoldoverStartsAfterThreeReadIntervalsOrThreeSeconds(double readIntervalS, double silentS, bool holdover)
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 3, initialOffsetNs: 0, seed: 4);
        var interval = Duration.FromSeconds(readIntervalS);
        var engine = new SyncEngine(new SyncEngineOptions { ReadInterval = interval }, LeapSecondTable.Embedded);
        for (var i = 0; i < 40; i++)
        {
            clock.Advance(interval.Nanoseconds);
            if (engine.OnReading("ptp0", clock.Read(9, ClockScale.Utc)) is { } command) clock.Apply(command);
        }
        clock.Advance(Duration.FromSeconds(silentS).Nanoseconds);
        var missed = engine.OnMissedReading("ptp0", clock.LocalNow, "gone");
        Assert.Equal(holdover, missed is not null);
        Assert.Equal(holdover ? Filters.Discipline.SyncState.Holdover : Filters.Discipline.SyncState.Tracking, engine.State);
    }
}
