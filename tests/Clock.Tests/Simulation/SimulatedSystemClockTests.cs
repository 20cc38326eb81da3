using Sync.Clock.Abstractions;
using Sync.Clock.Simulation;
using Sync.Filters.Discipline;
using Sync.Filters.Time;
using static Sync.Clock.Tests.Simulation.SimTestWorlds;

namespace Sync.Clock.Tests.Simulation;

public class SimulatedSystemClockTests
{
    private static readonly Instant<Utc> Noon = Utc(2026, 11, 25, 12);

    [Fact]
    public void StartsUnsynchronisedWithTheKernelsInitialState()
    {
        var world = WorldAt(Noon);
        var clock = GuestClock(world, initialOffsetMs: 5);
        var state = clock.ReadState().Value;
        Assert.Equal(ClockStatus.Unsynchronized, state.Status); // clock_adjtime would return TIME_ERROR
        Assert.Equal(KernelLeapState.Ok, clock.LeapState);
        Assert.Equal(Duration.FromSeconds(16), state.MaxError);
        Assert.Equal(0, state.FrequencyPpm);
        Assert.Equal(Noon.Nanoseconds + 5_000_000, clock.Now().Nanoseconds);
        Assert.Equal(5_000_000, clock.TrueOffsetNs);
    }

    [Fact]
    public void OscillatorErrorMakesTheClockDrift()
    {
        var world = WorldAt(Noon);
        var clock = GuestClock(world, offsetPpm: 10);
        AdvanceSeconds(world, 100);
        Assert.InRange(clock.TrueOffsetNs, 999_999, 1_000_001);
    }

    [Fact]
    public void FrequencyIsQuantisedTo2ToTheMinus16Ppm()
    {
        var clock = GuestClock(WorldAt(Noon));
        var state = clock.Apply(new ClockCommand { FrequencyPpm = 1.2345678 }).Value;
        Assert.Equal(Math.Round(1.2345678 * 65536), clock.FreqScaled);
        Assert.Equal(Math.Round(1.2345678 * 65536) / 65536, state.FrequencyPpm, 12);
        Assert.NotEqual(1.2345678, state.FrequencyPpm);
        Assert.Equal(10_000, clock.TickUs);
    }

    [Theory]
    [InlineData(1234.5, 10_012, 34.5)]
    [InlineData(-5000, 9_950, 0)]
    [InlineData(449, 10_004, 49)]
    [InlineData(-451, 9_995, 49)]
    [InlineData(250_000, 11_000, 500)]
    [InlineData(-250_000, 9_000, -500)]
    public void LargeCorrectionsSplitIntoTickAndFreqWithinLimits(double requestedPpm, long expectedTickUs, double expectedFreqPpm)
    {
        var clock = GuestClock(WorldAt(Noon));
        var state = clock.Apply(new ClockCommand { FrequencyPpm = requestedPpm }).Value;
        Assert.Equal(expectedTickUs, clock.TickUs);
        Assert.Equal(expectedFreqPpm, clock.FreqScaled / 65536.0, 4);
        Assert.InRange(Math.Abs(clock.FreqScaled), 0, 500 * 65536);
        Assert.Equal((expectedTickUs - 10_000) * 100 + expectedFreqPpm, state.FrequencyPpm, 4);
    }

    [Fact]
    public void FrequencyCorrectionSteersTheClock()
    {
        var world = WorldAt(Noon);
        var clock = GuestClock(world, offsetPpm: 10);
        clock.Apply(new ClockCommand { FrequencyPpm = -10 });
        AdvanceSeconds(world, 1000);
        Assert.InRange(clock.TrueOffsetNs, -200, 200); // (1 + 10e-6)(1 - 10e-6) leaves 1e-10: 100 ns in 1000 s

        clock.Apply(new ClockCommand { FrequencyPpm = 990 }); // 1000 ppm faster than the oscillator's error
        var before = clock.TrueOffsetNs;
        AdvanceSeconds(world, 10);
        Assert.InRange(clock.TrueOffsetNs - before, 9_999_000, 10_001_000);
    }

    [Fact]
    public void StepMovesLocalTimeAtOnce()
    {
        var world = WorldAt(Noon);
        var clock = GuestClock(world);
        clock.Apply(new ClockCommand { Step = Duration.FromMilliseconds(-7.5) });
        Assert.Equal(-7_500_000, clock.TrueOffsetNs);
        clock.InjectStep(50_000_000);
        Assert.Equal(42_500_000, clock.TrueOffsetNs);
    }

    [Fact]
    public void OnlyCommandedStepsAreCountedAsStepsNotSlewsNorInjectedJumps()
    {
        var world = WorldAt(Noon);
        var clock = GuestClock(world);
        clock.Apply(new ClockCommand { FrequencyPpm = 80_000 }); // a fast slew through tick: 80 us per ms
        AdvanceSeconds(world, 1);
        clock.InjectStep(50_000_000); // a migration: the world's doing, not a command
        Assert.Equal(0, clock.CommandedStepCount);
        Assert.Equal(0, clock.CommandedStepsNs);

        clock.Apply(new ClockCommand { Step = Duration.FromMilliseconds(-7.5) });
        clock.Apply(new ClockCommand { Step = Duration.FromMicroseconds(30) });
        Assert.Equal(2, clock.CommandedStepCount);
        Assert.Equal(-7_470_000, clock.CommandedStepsNs);
    }

    [Fact]
    public void MaxErrorGrows500PpmAndUnsyncIsSetPast16Seconds()
    {
        var world = WorldAt(Noon);
        var clock = GuestClock(world);
        clock.Apply(new ClockCommand { Status = ClockStatus.KernelDiscipline, MaxError = Duration.FromMilliseconds(1), EstimatedError = Duration.FromMicroseconds(20) });
        AdvanceSeconds(world, 100.5);
        var state = clock.ReadState().Value;
        Assert.Equal(Duration.FromMilliseconds(51), state.MaxError);
        Assert.Equal(Duration.FromMicroseconds(20), state.EstimatedError);
        Assert.Equal(ClockStatus.KernelDiscipline, state.Status);

        clock.Apply(new ClockCommand { MaxError = Duration.FromSeconds(15.9) });
        AdvanceSeconds(world, 199);
        state = clock.ReadState().Value;
        Assert.Equal(Duration.FromSeconds(15.9995), state.MaxError);
        Assert.Equal(ClockStatus.KernelDiscipline, state.Status);

        AdvanceSeconds(world, 2);
        state = clock.ReadState().Value;
        Assert.Equal(Duration.FromSeconds(16), state.MaxError);
        Assert.Equal(ClockStatus.KernelDiscipline | ClockStatus.Unsynchronized, state.Status); // TIME_ERROR from now on
    }

    [Fact]
    public void BadCommandsAreRejectedWithEinval()
    {
        var clock = GuestClock(WorldAt(Noon));
        var result = clock.Apply(new ClockCommand { FrequencyPpm = double.NaN });
        Assert.False(result.IsOk);
        Assert.Equal(ClockErrorKind.InvalidArgument, result.Error!.Kind);
        Assert.False(clock.Apply(new ClockCommand { MaxError = Duration.FromSeconds(-1) }).IsOk);
    }

    [Fact]
    public void TaiOffsetIsStored()
    {
        var clock = GuestClock(WorldAt(Noon));
        Assert.Equal(37, clock.Apply(new ClockCommand { TaiOffsetSeconds = 37 }).Value.TaiOffsetSeconds);
        Assert.Equal(37, clock.Apply(new ClockCommand { TaiOffsetSeconds = -3 }).Value.TaiOffsetSeconds);
    }

    [Fact]
    public void InsertedLeapSecondRepeats235959AndWalksTheKernelStates()
    {
        var world = WorldAt(Utc(2026, 12, 31, 23, 59, 0), TableWithInsertedLeap());
        var clock = GuestClock(world);
        clock.Apply(new ClockCommand { Status = ClockStatus.InsertLeap, MaxError = Duration.FromMilliseconds(1), TaiOffsetSeconds = 37 });
        Assert.Equal(KernelLeapState.Ok, clock.LeapState); // the kernel arms the leap at the next second

        AdvanceSeconds(world, 0.5);
        Assert.Equal(KernelLeapState.Ok, clock.LeapState);
        AdvanceSeconds(world, 1);
        Assert.Equal(KernelLeapState.Inserting, clock.LeapState);

        AdvanceSeconds(world, 58); // 23:59:59.5
        Assert.Equal(Utc(2026, 12, 31, 23, 59, 59.5), clock.Now());
        Assert.Equal(KernelLeapState.Inserting, clock.LeapState);

        AdvanceSeconds(world, 1); // 23:59:60.5, shown as 23:59:59.5 again
        Assert.Equal(Utc(2026, 12, 31, 23, 59, 59.5), clock.Now());
        var state = clock.ReadState().Value;
        Assert.Equal(KernelLeapState.InProgress, clock.LeapState);
        Assert.Equal(38, state.TaiOffsetSeconds);
        Assert.Equal(0, clock.TrueOffsetNs); // true UTC (with the same leap) repeats the second too

        AdvanceSeconds(world, 1);
        Assert.Equal(Utc(2027, 1, 1, 0, 0, 0.5), clock.Now());
        Assert.Equal(KernelLeapState.Wait, clock.LeapState);

        AdvanceSeconds(world, 5);
        Assert.Equal(KernelLeapState.Wait, clock.LeapState); // until STA_INS is cleared
        clock.Apply(new ClockCommand { Status = ClockStatus.None });
        AdvanceSeconds(world, 1);
        Assert.Equal(KernelLeapState.Ok, clock.LeapState);
        Assert.Equal(0, clock.TrueOffsetNs);
    }

    [Fact]
    public void DeletedLeapSecondSkips235959()
    {
        var world = WorldAt(Utc(2026, 12, 31, 23, 59, 50), TableWithDeletedLeap());
        var clock = GuestClock(world);
        clock.Apply(new ClockCommand { Status = ClockStatus.DeleteLeap, MaxError = Duration.FromMilliseconds(1), TaiOffsetSeconds = 37 });
        AdvanceSeconds(world, 1.5);
        Assert.Equal(KernelLeapState.Deleting, clock.LeapState);
        AdvanceSeconds(world, 7); // 23:59:58.5
        Assert.Equal(Utc(2026, 12, 31, 23, 59, 58.5), clock.Now());
        AdvanceSeconds(world, 1); // would be 23:59:59.5
        Assert.Equal(Utc(2027, 1, 1, 0, 0, 0.5), clock.Now());
        var state = clock.ReadState().Value;
        Assert.Equal(KernelLeapState.Wait, clock.LeapState);
        Assert.Equal(36, state.TaiOffsetSeconds);
        Assert.Equal(0, clock.TrueOffsetNs);
    }

    [Fact]
    public void WithoutStaInsTheGuestEndsUpOneSecondAheadOfUtc()
    {
        var world = WorldAt(Utc(2026, 12, 31, 23, 59, 0), TableWithInsertedLeap());
        var clock = GuestClock(world);
        AdvanceSeconds(world, 120);
        Assert.Equal(1_000_000_000, clock.TrueOffsetNs);
        Assert.Equal(KernelLeapState.Ok, clock.LeapState);
    }

    [Fact]
    public void ClearingStaInsBeforeMidnightCancelsTheLeap()
    {
        var world = WorldAt(Utc(2026, 12, 31, 23, 0, 0), TableWithInsertedLeap());
        var clock = GuestClock(world);
        clock.Apply(new ClockCommand { Status = ClockStatus.InsertLeap });
        AdvanceSeconds(world, 10);
        Assert.Equal(KernelLeapState.Inserting, clock.LeapState);
        clock.Apply(new ClockCommand { Status = ClockStatus.None });
        AdvanceSeconds(world, 1);
        Assert.Equal(KernelLeapState.Ok, clock.LeapState);
        AdvanceSeconds(world, 3600);
        Assert.Equal(1_000_000_000, clock.TrueOffsetNs);
    }
}
