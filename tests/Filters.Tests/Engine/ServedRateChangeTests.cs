using Sync.Filters.Engine;
using Sync.Filters.Leap;

namespace Sync.Filters.Tests.Engine;

/// <summary>
/// The VM lab's faults run: the served clock steps +100 ms, 30 s later its rate changes. The daemon must follow
/// the rate by slewing (no step), back within 100 us of the served clock within 10 s, over a slow, noisy read path
/// where each drifting sample stays inside the outlier gate for a while (the case that was never followed).
/// </summary>
public class ServedRateChangeTests
{
    private const double StepAtS = 60, RateAtS = 90, EndS = 150;

    private static (long StepsAfterRateChange, double BackWithin100UsS, long MaxErrorAfterNs) Run(int seed, double ratePpm, EstimatorKind estimator)
    {
        var clock = new ServedFaultClock(seed);
        var engine = new SyncEngine(new SyncEngineOptions { Estimator = estimator }, LeapSecondTable.Embedded);
        bool stepped = false, rateChanged = false;
        long stepsAtRateChange = 0, maxErrorNs = 0;
        double lastOutS = RateAtS;
        while (clock.ElapsedS < EndS)
        {
            clock.Advance(250_000_000);
            if (!stepped && clock.ElapsedS >= StepAtS) { clock.StepServed(100_000_000); stepped = true; }
            if (!rateChanged && clock.ElapsedS >= RateAtS) { clock.ChangeServedRate(ratePpm); rateChanged = true; stepsAtRateChange = clock.Steps; }
            if (engine.OnReading("ptp0", clock.Read(9)) is { } command)
                clock.Apply(command);
            if (!rateChanged) continue;
            maxErrorNs = Math.Max(maxErrorNs, Math.Abs(clock.ErrorNs));
            if (Math.Abs(clock.ErrorNs) > 100_000) lastOutS = clock.ElapsedS;
        }
        return (clock.Steps - stepsAtRateChange, lastOutS - RateAtS, maxErrorNs);
    }

    [Theory]
    [InlineData(30.0)]
    [InlineData(-30.0)]
    public void KalmanFollowsARateChangeAfterAStepBySlewing(double ratePpm)
    {
        var failures = new List<string>();
        for (var seed = 1; seed <= 8; seed++)
        {
            var (steps, backS, maxErrorNs) = Run(seed, ratePpm, EstimatorKind.Kalman);
            if (steps != 0 || backS > 10)
                failures.Add($"seed {seed}: {steps} step(s) after the rate change, back within 100 us after {backS:0.0} s, max error {maxErrorNs / 1e3:0.0} us");
        }
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }

    [Theory]
    [InlineData(5.0)]
    [InlineData(-5.0)]
    public void KalmanFollowsASmallRateChangeWithoutAStep(double ratePpm)
    {
        for (var seed = 1; seed <= 4; seed++)
        {
            var (steps, backS, maxErrorNs) = Run(seed, ratePpm, EstimatorKind.Kalman);
            Assert.True(steps == 0 && backS <= 10, $"seed {seed}: {steps} step(s), back after {backS:0.0} s, max error {maxErrorNs / 1e3:0.0} us");
        }
    }

    private static (long StepsAfter, double MaxErrorAfterNs, long EndErrorNs) RunSlow(int seed, double ratePpm, double readS, SyncEngineOptions options)
    {
        const double changeAtS = 3_000, endS = 6_000;
        var clock = new ServedFaultClock(seed);
        var engine = new SyncEngine(options with { ReadInterval = Sync.Filters.Time.Duration.FromSeconds(readS) }, LeapSecondTable.Embedded);
        long stepsAtChange = -1;
        double maxErrorAfterNs = 0;
        while (clock.ElapsedS < endS)
        {
            clock.Advance((long)(readS * 1e9));
            if (stepsAtChange < 0 && clock.ElapsedS >= changeAtS) { clock.ChangeServedRate(ratePpm); stepsAtChange = clock.Steps; }
            if (engine.OnReading("ptp0", clock.Read(9)) is { } command)
                clock.Apply(command);
            if (stepsAtChange >= 0) maxErrorAfterNs = Math.Max(maxErrorAfterNs, Math.Abs(clock.ErrorNs));
        }
        return (clock.Steps - stepsAtChange, maxErrorAfterNs, clock.ErrorNs);
    }

    [Theory]
    [InlineData(14.0)]
    [InlineData(40.0)]
    [InlineData(-30.0)]
    public void AtASlowReadIntervalARateChangesRunUpAboveOneMillisecondIsSlewedNotStepped(double ratePpm)
    {
        // Read every 52 s: the rate change runs up more than 1 ms (StepPolicy.RecoveryThreshold, JumpThreshold) before
        // it is confirmed; a rate change is still slewed, never stepped (random world 1-5 stepped 2 ms twice here).
        for (var seed = 1; seed <= 3; seed++)
        {
            var (steps, maxErrorNs, endErrorNs) = RunSlow(seed, ratePpm, 52, new SyncEngineOptions());
            Assert.True(maxErrorNs > 1_000_000, $"seed {seed}: the run-up must exceed 1 ms for this to test anything ({maxErrorNs / 1e3:0} us)");
            Assert.True(steps == 0, $"seed {seed}: {steps} step(s) after the rate change");
            Assert.True(Math.Abs(endErrorNs) < 50_000, $"seed {seed}: still {endErrorNs / 1e3:0} us off at the end");
        }
    }

    [Fact]
    public void WithoutTheRateAllowanceALargeRunUpIsTakenForAJumpAndStepped()
    {
        // JumpRateAllowancePpm is what keeps a 40 ppm change at 52 s reads from being a jump: unhooked, it steps.
        var (steps, _, _) = RunSlow(1, 40, 52, new SyncEngineOptions { JumpRateAllowancePpm = 0 });
        Assert.True(steps > 0, "a 2 ms run-up in one read is a jump without the allowance");
    }
}
