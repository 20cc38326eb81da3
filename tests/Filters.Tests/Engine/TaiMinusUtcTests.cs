using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Engine;

/// <summary>
/// TAI - UTC from a device that serves both a TAI and a UTC clock. The toy world is at 2027-01-15, after the embedded
/// table's expiry (2026-06-28), and its device serves TAI - UTC = 38: a leap the expired table cannot know.
/// </summary>
public class TaiMinusUtcTests
{
    private static (SyncEngine Engine, ToyGuestClock Clock, int? KernelTai) Run(LeapSecondTable table, bool readUtcToo, int seconds = 60)
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 5, initialOffsetNs: 200_000, seed: 4) { TaiMinusUtcSeconds = 38 };
        var engine = new SyncEngine(new SyncEngineOptions(), table);
        engine.AddSource("tai", "device TAI", ClockScale.Tai);
        if (readUtcToo) engine.AddSource("utc", "device UTC", ClockScale.Utc);
        int? kernelTai = null;
        for (var i = 0; i < seconds * 4; i++)
        {
            clock.Advance(250_000_000);
            var tai = clock.Read(9, ClockScale.Tai);
            var command = readUtcToo ? engine.OnReadings([("tai", tai), ("utc", clock.Read(9, ClockScale.Utc))]) : engine.OnReadings([("tai", tai)]);
            if (command is null) continue;
            kernelTai = command.TaiOffsetSeconds ?? kernelTai;
            clock.Apply(command);
        }
        return (engine, clock, kernelTai);
    }

    private static Duration? TaiSourceOffset(SyncEngine engine, ToyGuestClock clock) =>
        engine.Snapshot(clock.LocalNow).Sources.Single(s => s.Path == "tai").LastOffset;

    [Fact]
    public void WithAnExpiredTableTheDevicesTaiMinusUtcGoesToTheKernelAndConvertsTaiReadings()
    {
        var (engine, clock, kernelTai) = Run(LeapSecondTable.Embedded, readUtcToo: true);

        Assert.True(LeapSecondTable.Embedded.IsExpiredAt(clock.LocalNow));
        Assert.Equal(38, engine.ObservedTaiMinusUtc);
        Assert.True(engine.ObservedTaiMinusUtcDisagreesWithTable);
        Assert.Equal(38, kernelTai);
        // The TAI clock converted with 38 s agrees with the UTC clock: its offset is the guest's, not a second off.
        Assert.InRange(TaiSourceOffset(engine, clock)!.Value.Nanoseconds, -50_000, 50_000);
        Assert.InRange(clock.TrueOffsetNs, -50_000, 50_000);
    }

    [Fact]
    public void WithoutTheUtcClockTheExpiredTableIsAllThereIs()
    {
        var (engine, clock, kernelTai) = Run(LeapSecondTable.Embedded, readUtcToo: false);

        Assert.Null(engine.ObservedTaiMinusUtc);
        Assert.Equal(37, kernelTai);
        // What the observation prevents: TAI read as UTC with the table's 37 s puts the clock a second off.
        Assert.InRange(clock.TrueOffsetNs, 1_000_000_000 - 50_000, 1_000_000_000 + 50_000);
    }

    [Fact]
    public void AValidTableIsUsedAndTheDisagreementIsShown()
    {
        var valid = new LeapSecondTable(LeapSecondTable.Embedded.Entries, Instant<Utc>.FromSeconds(1_900_000_000));
        var (engine, clock, kernelTai) = Run(valid, readUtcToo: true);

        Assert.Equal(38, engine.ObservedTaiMinusUtc);
        Assert.True(engine.ObservedTaiMinusUtcDisagreesWithTable);
        Assert.Equal(37, kernelTai);
        // TAI is converted with the valid table's 37 s, so the two clocks of the device stay a second apart.
        var utcOffset = engine.Snapshot(clock.LocalNow).Sources.Single(s => s.Path == "utc").LastOffset!.Value;
        Assert.InRange((utcOffset - TaiSourceOffset(engine, clock)!.Value).Nanoseconds, 999_900_000, 1_000_100_000);
    }

    [Fact]
    public void ADifferenceThatIsNotAWholeSecondIsNoObservation()
    {
        var observation = new TaiMinusUtcObservation();
        var at = Instant<Utc>.FromSeconds(1_800_000_000);
        var table = LeapSecondTable.Embedded;
        observation.Offer(new(at, new ScaledInstant(ClockScale.Utc, at.Nanoseconds), Duration.Zero, Duration.Zero, 1), ClockScale.Utc, table);
        observation.Offer(new(at, new ScaledInstant(ClockScale.Tai, at.Nanoseconds + 37_400_000_000), Duration.Zero, Duration.Zero, 1), ClockScale.Tai, table);
        Assert.Null(observation.Seconds);
        observation.Offer(new(at, new ScaledInstant(ClockScale.Tai, at.Nanoseconds + 37_000_020_000), Duration.Zero, Duration.Zero, 1), ClockScale.Tai, table);
        Assert.Equal(37, observation.Seconds);
        Assert.False(observation.DisagreesWithTable);
    }
}
