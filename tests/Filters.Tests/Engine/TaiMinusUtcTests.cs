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
    private static (SyncEngine Engine, ToyGuestClock Clock, int? KernelTai) Run(LeapSecondTable table, bool readUtcToo, int seconds = 60,
        int deviceTaiMinusUtc = 38)
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 5, initialOffsetNs: 200_000, seed: 4) { TaiMinusUtcSeconds = deviceTaiMinusUtc };
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
    public void AValidTableIsUsedTheDisagreementIsShownAndTheTaiClockIsNotUsed()
    {
        var valid = new LeapSecondTable(LeapSecondTable.Embedded.Entries, Instant<Utc>.FromSeconds(1_900_000_000));
        var (engine, clock, kernelTai) = Run(valid, readUtcToo: true);

        Assert.Equal(38, engine.ObservedTaiMinusUtc);
        Assert.True(engine.ObservedTaiMinusUtcDisagreesWithTable);
        Assert.Equal(37, kernelTai);
        // Converted with the valid table's 37 s the TAI clock would be a second off the UTC clock: it is left out and
        // says why; the guest follows the UTC clock.
        var tai = engine.Snapshot(clock.LocalNow).Sources.Single(s => s.Path == "tai");
        Assert.Null(tai.LastOffset);
        Assert.Equal(0, tai.Samples);
        Assert.Contains("not used", tai.LastFailure);
        Assert.InRange(clock.TrueOffsetNs, -50_000, 50_000);
    }

    [Fact]
    public void AnExpiredTableIsNotReplacedByAnImplausibleObservation()
    {
        // A host that never set its kernel's TAI offset serves TAI = UTC: 0 s, 37 from what the table knew at its
        // expiry, while at most 7 leaps (one per month start since 2026-06-28) can have happened.
        var (engine, clock, kernelTai) = Run(LeapSecondTable.Embedded, readUtcToo: true, deviceTaiMinusUtc: 0);

        Assert.Equal(0, engine.ObservedTaiMinusUtc);
        Assert.True(engine.ObservedTaiMinusUtcDisagreesWithTable);
        Assert.Equal(37, kernelTai);
        Assert.Equal(0, engine.Snapshot(clock.LocalNow).Sources.Single(s => s.Path == "tai").Samples);
        Assert.InRange(clock.TrueOffsetNs, -50_000, 50_000);
    }

    [Theory]
    [InlineData("2026-06-28T00:00:00Z", 0)]
    [InlineData("2026-06-30T23:59:59Z", 0)]
    [InlineData("2026-07-01T00:00:00Z", 1)]
    [InlineData("2027-01-15T00:00:00Z", 7)]
    public void AnObservationReplacesAnExpiredTableByAtMostOneLeapPerMonthStartSinceItsExpiry(string now, int plausible)
    {
        var table = LeapSecondTable.Embedded; // expires 2026-06-28, TAI - UTC 37 s
        var at = Instant<Utc>.FromSeconds(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds());
        foreach (var observed in new[] { 37 - plausible - 1, 37 - plausible, 37 + plausible, 37 + plausible + 1 })
        {
            var observation = new TaiMinusUtcObservation();
            observation.Offer(new(at, new ScaledInstant(ClockScale.Utc, at.Nanoseconds), Duration.Zero, Duration.Zero, 1), ClockScale.Utc, table);
            observation.Offer(new(at, new ScaledInstant(ClockScale.Tai, at.Nanoseconds + observed * 1_000_000_000L), Duration.Zero, Duration.Zero, 1), ClockScale.Tai, table);
            var believed = Math.Abs(observed - 37) <= plausible && table.IsExpiredAt(at);
            Assert.Equal(believed ? observed : 37, observation.TaiMinusUtcAt(at, table));
            Assert.Equal(observed != 37 && !believed, observation.TaiClockIsOffAt(at, table));
        }
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
