using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Discipline;

public class ForeignWriterGuardTests
{
    private static KernelClockState State(double ppm, ClockStatus status = ClockStatus.None, long pllOffsetNs = 0, double maxErrorS = 0.001) =>
        new(ppm, Duration.FromSeconds(maxErrorS), Duration.Zero, status, 37) { PllOffset = Duration.FromNanoseconds(pllOffsetNs) };

    private static Instant<Utc> At(double s) => Instant<Utc>.FromSeconds(1_800_000_000) + Duration.FromSeconds(s);

    [Fact]
    public void OurOwnWritesAndTheKernelsOwnChangesAreNotForeign()
    {
        var guard = new ForeignWriterGuard(Duration.FromSeconds(30));
        guard.Observe(At(0), State(12.5));
        guard.OnWritten(State(13.25, ClockStatus.InsertLeap));
        // maxerror grows, the kernel ends the leap (clears STA_INS) and sets STA_UNSYNC at 16 s: none of it is a writer.
        Assert.True(guard.Observe(At(1), State(13.25, ClockStatus.InsertLeap, maxErrorS: 0.5)).Steering);
        Assert.True(guard.Observe(At(2), State(13.25, ClockStatus.None)).Steering);
        Assert.True(guard.Observe(At(3), State(13.25, ClockStatus.Unsynchronized, maxErrorS: 16)).Steering);
        Assert.Equal(0, guard.Detections);
    }

    [Theory]
    [InlineData(20.0, ClockStatus.None, 0L, "frequency 13.25 -> 20 ppm")]
    [InlineData(13.25, ClockStatus.KernelDiscipline, 0L, "kernel PLL/FLL/PPS mode set")]
    [InlineData(13.25, ClockStatus.None, 250_000L, "PLL offset 0 -> 250 us")]
    [InlineData(13.25, ClockStatus.DeleteLeap, 0L, "leap bits set: delete")]
    [InlineData(13.25, ClockStatus.Unsynchronized, 0L, "unsynchronized flag set")]
    public void EachThingAnotherWriterSetsIsDetected(double ppm, ClockStatus status, long pllOffsetNs, string change)
    {
        var guard = new ForeignWriterGuard(Duration.FromSeconds(30));
        guard.OnWritten(State(13.25));
        var verdict = guard.Observe(At(1), State(ppm, status, pllOffsetNs));
        Assert.True(verdict.Detected);
        Assert.False(verdict.Steering);
        Assert.Contains(change, verdict.Change);
        Assert.Equal(1, guard.Detections);
    }

    [Fact]
    public void ChronydsFirstWriteClearingStaNanoIsDetected()
    {
        // Lab (foreign run 3): chronyd's first write cleared STA_NANO (ADJ_MICRO) 3.4 s before its first frequency
        // write, with frequency, PLL offset and status unchanged; we write ADJ_NANO with every command.
        var guard = new ForeignWriterGuard(Duration.FromSeconds(30));
        guard.Observe(At(0), State(12.5));
        guard.OnWritten(State(13.25) with { NanosecondUnits = true });
        Assert.True(guard.Observe(At(1), State(13.25) with { NanosecondUnits = true }).Steering);
        var verdict = guard.Observe(At(2), State(13.25));
        Assert.True(verdict.Detected);
        Assert.Equal("STA_NANO cleared (ADJ_MICRO)", verdict.Change);
    }

    [Fact]
    public void SteeringResumesOnceTheOtherWriterHasBeenQuietForThePeriod()
    {
        var guard = new ForeignWriterGuard(Duration.FromSeconds(30));
        guard.OnWritten(State(13.25));
        // chronyd writes a new frequency every 2 s from t = 10 to t = 60 (and sets STA_UNSYNC once).
        var detectedAt = double.NaN;
        for (var t = 10.0; t <= 60; t += 0.25)
        {
            var ppm = 13.25 + Math.Floor((t - 10) / 2) * 0.01 + 1;
            var v = guard.Observe(At(t), State(ppm));
            if (v.Detected) detectedAt = t;
            Assert.False(v.Steering, $"t = {t}");
            // What we would write while yielding is not written: OnWritten is not called, and would not move the baseline.
            guard.OnWritten(State(13.25));
        }
        Assert.Equal(10, detectedAt);
        // It stopped at t = 60 (last write at 60): the kernel keeps its last frequency; a leftover PLL offset decays.
        var resumedAt = double.NaN;
        for (var t = 60.25; t <= 120; t += 0.25)
        {
            var v = guard.Observe(At(t), State(13.25 + 25 * 0.01 + 1, pllOffsetNs: (long)(1000 * Math.Max(0, 100 - t))));
            if (v.Resumed) { resumedAt = t; break; }
            Assert.False(v.Steering);
        }
        Assert.InRange(resumedAt, 90, 90.25);
        Assert.True(guard.Steering);
        Assert.Equal(1, guard.Detections);
        // Our writes are the baseline again.
        guard.OnWritten(State(13.0));
        Assert.True(guard.Observe(At(121), State(13.0)).Steering);
    }
}
