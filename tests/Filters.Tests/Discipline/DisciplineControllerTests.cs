using Sync.Filters.Discipline;
using Sync.Filters.Estimation;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Discipline;

public class DisciplineControllerTests
{
    private static readonly Instant<Utc> T0 = Instant<Utc>.FromSeconds(1_800_000_000);

    private static ClockEstimate Estimate(double atS, double offsetUs, double freqPpm, int samples = 10, double freqSdPpm = 0.01) =>
        new(T0 + Duration.FromSeconds(atS), Duration.FromMicroseconds(offsetUs), freqPpm,
            Duration.FromNanoseconds(50), freqSdPpm, Duration.FromNanoseconds(200), samples);

    [Fact]
    public void LargeOffsetIsSteppedWithinTheStepLimit()
    {
        var controller = new DisciplineController(new DisciplineControllerOptions());
        var decision = controller.Update(Estimate(0, 2_500_000, 0, samples: 1), ClockStatus.None, null);

        Assert.Equal(Duration.FromMicroseconds(-2_500_000), decision.Command.Step);
        Assert.Equal(1, controller.Steps);
        Assert.Equal(Duration.FromMicroseconds(-2_500_000), decision.Adjustment!.Value.Step);
    }

    [Fact]
    public void LargeOffsetAfterTheStepLimitIsSlewedAtNoMoreThanTheMaximumRate()
    {
        var controller = new DisciplineController(new DisciplineControllerOptions { Steps = StepPolicy.ChronyDefault });
        for (var i = 0; i < 3; i++)
            controller.Update(Estimate(i, 0.1, 0), ClockStatus.None, null);

        // the clock's frequency error is what the slews so far left in effect: its base is 0
        var decision = controller.Update(Estimate(3, 2_000_000, controller.CommandedFrequencyPpm), ClockStatus.None, null);

        Assert.Null(decision.Command.Step);
        Assert.Equal(0, controller.Steps);
        Assert.True(decision.Command.FrequencyPpm < 0, "a clock that is ahead must be slowed down");
        Assert.True(decision.Command.FrequencyPpm >= -83_333.0001);
    }

    [Fact]
    public void FrequencyErrorIsRemovedFromTheCommandedFrequency()
    {
        var controller = new DisciplineController(new DisciplineControllerOptions(), initialFrequencyPpm: 10);
        var decision = controller.Update(Estimate(0, 0, freqPpm: 4), ClockStatus.None, null);

        // Rates multiply: (1 + 10 ppm)(1 - 4 ppm) - 1 = 6 ppm - 40e-6 ppm.
        Assert.Equal(6 - 40e-6, decision.Command.FrequencyPpm!.Value, 9);
        Assert.Equal(6 - 40e-6, controller.BaseFrequencyPpm!.Value, 9);
        // The estimator's frequency error moves by the change x (1 - f) / (1 + new correction).
        Assert.Equal((-4 - 40e-6) * (1 - 4e-6) / (1 + (6 - 40e-6) * 1e-6), decision.Adjustment!.Value.FrequencyChangePpm, 9);
    }

    [Fact]
    public void AtA1000PpmSmearTheTargetRateIsComposedExactly()
    {
        var controller = new DisciplineController(new DisciplineControllerOptions(), initialFrequencyPpm: 0);
        var decision = controller.Update(Estimate(0, 0, freqPpm: 0), ClockStatus.None, null, targetRatePpm: -1000);

        Assert.Equal(-1000, decision.Command.FrequencyPpm!.Value, 9);
        // The clock now loses 1000 ppm of reference time but 1000/0.999 ppm per local second.
        Assert.Equal(-1000 / 0.999, decision.Adjustment!.Value.FrequencyChangePpm, 6);
    }

    [Fact]
    public void PositiveOffsetSlowsTheClockNegativeSpeedsItUp()
    {
        var ahead = new DisciplineController(new DisciplineControllerOptions()).Update(Estimate(0, 5, 0), ClockStatus.None, null);
        var behind = new DisciplineController(new DisciplineControllerOptions()).Update(Estimate(0, -5, 0), ClockStatus.None, null);

        Assert.True(ahead.Command.FrequencyPpm < 0);
        Assert.True(behind.Command.FrequencyPpm > 0);
        Assert.Equal(-ahead.Command.FrequencyPpm!.Value, behind.Command.FrequencyPpm!.Value, 9);
    }

    [Fact]
    public void UntrustedFrequencyKeepsTheLastBase()
    {
        var controller = new DisciplineController(new DisciplineControllerOptions());
        controller.Update(Estimate(0, 0, freqPpm: -3), ClockStatus.None, null);
        var decision = controller.Update(Estimate(1, 0, freqPpm: 40, freqSdPpm: 500), ClockStatus.None, null);

        Assert.Equal(3, decision.Command.FrequencyPpm!.Value, 9);
    }

    [Fact]
    public void HoldoverDropsTheSlewAndKeepsTheBaseFrequency()
    {
        var controller = new DisciplineController(new DisciplineControllerOptions());
        controller.Update(Estimate(0, 20, freqPpm: -3), ClockStatus.None, null);
        Assert.NotEqual(3, controller.CommandedFrequencyPpm, 6);

        var decision = controller.Holdover(T0 + Duration.FromSeconds(5), Duration.FromMicroseconds(40), ClockStatus.None);

        Assert.Equal(SyncState.Holdover, controller.State);
        Assert.Equal(3, decision.Command.FrequencyPpm!.Value, 9);
        Assert.Equal(Duration.FromMicroseconds(40), decision.Command.MaxError);
        Assert.Equal(ClockStatus.None, decision.Command.Status);
    }

    [Fact]
    public void LongHoldoverMarksTheClockUnsynchronized()
    {
        var controller = new DisciplineController(new DisciplineControllerOptions { UnsyncAfter = Duration.FromSeconds(60) });
        controller.Update(Estimate(0, 0, 0), ClockStatus.None, null);

        var decision = controller.Holdover(T0 + Duration.FromSeconds(61), Duration.FromMicroseconds(40), ClockStatus.None);

        Assert.Equal(ClockStatus.Unsynchronized, decision.Command.Status);
    }

    [Fact]
    public void RecoveryLastsUntilTheFrequencyIsTrustedAgain()
    {
        var controller = new DisciplineController(new DisciplineControllerOptions());
        controller.Update(Estimate(0, 0, 0), ClockStatus.None, null);
        controller.EnterRecovery();

        controller.Update(Estimate(1, 50, 0, samples: 1), ClockStatus.None, null);
        Assert.Equal(SyncState.Recovery, controller.State);

        controller.Update(Estimate(2, 10, 0, samples: 3), ClockStatus.None, null);
        Assert.Equal(SyncState.Tracking, controller.State);
    }

    [Fact]
    public void EveryUpdateWritesTheKernelErrorFieldsAndLeapFlags()
    {
        var controller = new DisciplineController(new DisciplineControllerOptions());
        var decision = controller.Update(Estimate(0, 1, 0), ClockStatus.InsertLeap, 37);

        Assert.Equal(ClockStatus.InsertLeap, decision.Command.Status);
        Assert.Equal(37, decision.Command.TaiOffsetSeconds);
        Assert.Equal(Duration.FromNanoseconds(1_000 + 200), decision.Command.MaxError);
        Assert.Equal(Duration.FromNanoseconds(50), decision.Command.EstimatedError);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public void AfterADetectedDiscontinuityALargeOffsetIsSteppedOnlyWhenPolicyAllows(bool afterDiscontinuity, int expectedSteps)
    {
        var policy = StepPolicy.StartupOnly with { AfterDiscontinuity = afterDiscontinuity };
        var controller = new DisciplineController(new DisciplineControllerOptions { Steps = policy });
        for (var i = 0; i < 10; i++)
            controller.Update(Estimate(i, 0.1, controller.CommandedFrequencyPpm), ClockStatus.None, null);

        controller.EnterRecovery();
        var decision = controller.Update(Estimate(10, 50_000, controller.CommandedFrequencyPpm), ClockStatus.None, null);

        Assert.Equal(expectedSteps, controller.Steps);
        Assert.Equal(afterDiscontinuity ? Duration.FromMicroseconds(-50_000) : null, decision.Command.Step);
    }

    [Fact]
    public void AfterADetectedDiscontinuityAnOffsetBelowTheRecoveryThresholdIsSlewed()
    {
        // A rate change runs up a few hundred microseconds before it is detected: slewing removes that in seconds.
        var controller = new DisciplineController(new DisciplineControllerOptions());
        for (var i = 0; i < 10; i++)
            controller.Update(Estimate(i, 0.1, controller.CommandedFrequencyPpm), ClockStatus.None, null);

        controller.EnterRecovery();
        var decision = controller.Update(Estimate(10, 200, controller.CommandedFrequencyPpm), ClockStatus.None, null);

        Assert.Null(decision.Command.Step);
        Assert.Equal(0, controller.Steps);
        Assert.True(decision.Command.FrequencyPpm < -50, $"slews the 200 us away (commanded {decision.Command.FrequencyPpm} ppm)");
    }

    [Fact]
    public void AfterARateChangeEvenARunUpAboveTheRecoveryThresholdIsSlewed()
    {
        // Read every 52 s, a 14 ppm rate change runs up 2 ms before three samples confirm it: slewed, never stepped.
        var controller = new DisciplineController(new DisciplineControllerOptions());
        for (var i = 0; i < 10; i++)
            controller.Update(Estimate(52 * i, 0.1, controller.CommandedFrequencyPpm), ClockStatus.None, null);

        controller.EnterRecovery(allowStep: false);
        var decision = controller.Update(Estimate(520, 2_000, controller.CommandedFrequencyPpm), ClockStatus.None, null);

        Assert.Null(decision.Command.Step);
        Assert.Equal(0, controller.Steps);
        Assert.True(decision.Command.FrequencyPpm < -10, $"slews the 2 ms away (commanded {decision.Command.FrequencyPpm} ppm)");

        // The same offset after a step-like discontinuity is stepped (the default policy allows it).
        controller.EnterRecovery();
        Assert.NotNull(controller.Update(Estimate(572, 2_000, controller.CommandedFrequencyPpm), ClockStatus.None, null).Command.Step);
    }

    [Fact]
    public void StepPolicyNeverForbidsStepsAfterDiscontinuitiesToo()
    {
        var controller = new DisciplineController(new DisciplineControllerOptions { Steps = StepPolicy.Never });
        controller.EnterRecovery();

        var decision = controller.Update(Estimate(0, 5_000_000, 0, samples: 3), ClockStatus.None, null);

        Assert.Null(decision.Command.Step);
        Assert.Equal(0, controller.Steps);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(1.0)]
    [InlineData(52.0)]
    public void TheEstimatedOffsetIsSlewedAwayWithinOneUpdateInterval(double intervalS)
    {
        // Certainty equivalence: the clock's error at the next read is what this update leaves, so all of the
        // (already filtered) estimate goes within one interval, at fast reads too.
        var controller = new DisciplineController(new DisciplineControllerOptions { Steps = StepPolicy.ChronyDefault });
        for (var i = 0; i < 4; i++)
            controller.Update(Estimate(i * intervalS, 0, 0), ClockStatus.None, null);

        var decision = controller.Update(Estimate(4 * intervalS, 30, 0), ClockStatus.None, null);

        // -30 us over one interval, on top of a base of 0.
        Assert.Equal(-30.0 / intervalS, decision.Command.FrequencyPpm!.Value, 6);
        var slewedNs = decision.Adjustment!.Value.FrequencyChangePpm * 1e-6 * intervalS * 1e9;
        Assert.InRange(slewedNs, -30_030, -29_970); // within the frame conversion (1 + correction)
    }

    [Fact]
    public void AfterAGapTheOffsetIsSlewedWithinOneReadIntervalNotOverTheGap()
    {
        // Reads every 10 s; the estimator held two reads while it confirmed a change, so this update comes 30 s after
        // the last: the 15 us it finds are to be gone by the next read, 10 s on (1.5 ppm), not spread over 30 s (0.5 ppm).
        var controller = new DisciplineController(new DisciplineControllerOptions(), expectedUpdateInterval: Duration.FromSeconds(10));
        for (int i = 0; i < 4; i++) controller.Update(Estimate(10 * i, 0, 0), ClockStatus.None, null);
        var decision = controller.Update(Estimate(60, 15, 0), ClockStatus.None, null);
        Assert.Equal(-1.5, decision.Command.FrequencyPpm!.Value, 6);
        Assert.Equal(Duration.FromSeconds(30), controller.UpdateInterval); // what the status reports stays the measured one
    }
}
