using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Engine;

public class SyncEngineTests
{
    private static (SyncEngine Engine, List<long> Offsets) Run(ToyGuestClock clock, SyncEngineOptions options, ClockScale scale, int seconds, int readsPerSecond = 4)
    {
        var engine = new SyncEngine(options, LeapSecondTable.Embedded);
        var offsets = new List<long>();
        for (var i = 0; i < seconds * readsPerSecond; i++)
        {
            clock.Advance(1_000_000_000L / readsPerSecond);
            if (engine.OnReading("ptp0", clock.Read(9, scale)) is { } command)
                clock.Apply(command);
            offsets.Add(clock.TrueOffsetNs);
        }
        return (engine, offsets);
    }

    [Theory]
    [InlineData(EstimatorKind.Kalman)]
    [InlineData(EstimatorKind.Regression)]
    public void ConvergesFromAnOffsetAndAFrequencyError(EstimatorKind estimator)
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 25, initialOffsetNs: 300_000, seed: 1);
        var (engine, offsets) = Run(clock, new SyncEngineOptions { Estimator = estimator }, ClockScale.Utc, 300);

        Assert.Equal(SyncState.Tracking, engine.State);
        Assert.True(engine.Steps <= 1, "at most the one startup step the default policy allows");
        var lastMinute = offsets.Skip(offsets.Count - 240).ToList();
        Assert.True(lastMinute.Max(Math.Abs) < 1_000, $"max |offset| in the last minute {lastMinute.Max(Math.Abs)} ns");
    }

    [Fact]
    public void StepsALargeInitialOffsetWhenPolicyAllows()
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 0, initialOffsetNs: 3_000_000_000, seed: 2);
        var (engine, offsets) = Run(clock, new SyncEngineOptions(), ClockScale.Utc, 30);

        Assert.Equal(1, engine.Steps);
        Assert.True(Math.Abs(offsets[^1]) < 10_000);
    }

    [Fact]
    public void NeverStepsWhenPolicyForbids()
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 0, initialOffsetNs: 3_000_000_000, seed: 3);
        var options = new SyncEngineOptions { Discipline = new DisciplineOptions { Steps = StepPolicy.Never } };
        var (engine, offsets) = Run(clock, options, ClockScale.Utc, 10);

        Assert.Equal(0, engine.Steps);
        Assert.True(offsets[^1] < 3_000_000_000 && offsets[^1] > 0, "the offset is slewed, not stepped");
    }

    [Fact]
    public void TaiReferenceIsConvertedToUtcNotFollowedAs37SecondsOff()
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 5, initialOffsetNs: 50_000, seed: 4);
        var (engine, offsets) = Run(clock, new SyncEngineOptions(), ClockScale.Tai, 120);

        Assert.True(engine.Steps <= 1);
        Assert.True(Math.Abs(offsets[^1]) < 1_000, $"final offset {offsets[^1]} ns");
        Assert.Equal(37, engine.Snapshot(clock.LocalNow).TaiOffsetSeconds);
    }

    [Fact]
    public void PublishedBoundCoversTheTrueOffsetOnceTracking()
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: -12, initialOffsetNs: 20_000, seed: 5);
        var engine = new SyncEngine(new SyncEngineOptions(), LeapSecondTable.Embedded);
        int counted = 0, covered = 0;
        for (var i = 0; i < 4 * 600; i++)
        {
            clock.Advance(250_000_000);
            if (engine.OnReading("ptp0", clock.Read(9, ClockScale.Utc)) is { } command)
                clock.Apply(command);
            if (i < 4 * 120) continue;
            counted++;
            if (Math.Abs(clock.TrueOffsetNs) <= engine.CurrentBound(clock.LocalNow).Nanoseconds) covered++;
        }
        Assert.True(covered >= counted * 0.99, $"covered {covered} of {counted}");
    }

    [Fact]
    public void HoldoverKeepsTheFrequencyAndGrowsTheBound()
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 30, initialOffsetNs: 0, seed: 6);
        var (engine, _) = Run(clock, new SyncEngineOptions(), ClockScale.Utc, 120);
        var boundBefore = engine.CurrentBound(clock.LocalNow);

        ClockCommand? last = null;
        for (var i = 0; i < 40; i++)
        {
            clock.Advance(250_000_000);
            if (engine.OnMissedReading("ptp0", clock.LocalNow, "ENODEV") is { } command)
            {
                clock.Apply(command);
                last = command;
            }
        }

        Assert.Equal(SyncState.Holdover, engine.State);
        Assert.NotNull(last);
        Assert.True(engine.CurrentBound(clock.LocalNow) > boundBefore);
        Assert.True(Math.Abs(clock.TrueOffsetNs) < 5_000, $"holdover drifted {clock.TrueOffsetNs} ns in 10 s");
    }
}
