using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Selection;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Selection;

/// <summary>The engine with several sources: a wide path whose device reads off its window's midpoint, narrower ones.</summary>
public class SourceCombinationEngineTests
{
    private const long OffsetNs = 7_000; // the local clock's true offset (it is not steered in these tests)
    private static readonly long StartNs = Instant<Utc>.FromSeconds(1_800_000_000).Nanoseconds;

    /// <summary>n samples of a path with the given window, its device read readFraction into it (0.5 = midpoint).</summary>
    private static PhcReading Read(long trueNs, long windowNs, double readFraction, long faultNs = 0, int n = 5)
    {
        var samples = new SampleTriple[n];
        for (var i = 0; i < n; i++)
        {
            var t = trueNs + i * 3 * windowNs;
            samples[i] = new SampleTriple(t + OffsetNs, t + (long)(readFraction * windowNs) + faultNs, t + OffsetNs + windowNs);
        }
        return new PhcReading(ReadingMethod.Extended, ClockScale.Utc, samples);
    }

    private static void Feed(SyncEngine engine, int seconds, Func<long, IReadOnlyList<(string, PhcReading)>> step, ref long t)
    {
        for (var i = 0; i < seconds * 4; i++)
        {
            t += 250_000_000;
            engine.OnReadings(step(t));
        }
    }

    private static SourceSnapshot Source(SyncEngine engine, long t, string id) =>
        engine.Snapshot(new Instant<Utc>(t)).Sources.Single(s => s.Path == id);

    [Fact]
    public void AWidePathIsMeasuredAgainstANarrowerOneAndKeepsItsAccuracyAlone()
    {
        var engine = new SyncEngine(new SyncEngineOptions(), LeapSecondTable.Embedded);
        engine.AddSource("wide", "our device", ClockScale.Utc);
        engine.AddSource("narrow", "built-in device", ClockScale.Utc);
        var t = StartNs;
        // The wide path reads 20 % into a 100 us window: its midpoint offsets are 30 us too high.
        Feed(engine, 90, now => [("wide", Read(now, 100_000, 0.2)), ("narrow", Read(now + 2_000_000, 4_000, 0.5))], ref t);

        var wide = Source(engine, t, "wide");
        var narrow = Source(engine, t, "narrow");
        Assert.Equal(SourceVerdict.Selected, narrow.Verdict);
        Assert.Equal(SourceVerdict.Truechimer, wide.Verdict);
        Assert.Equal(CalibrationOrigin.Measured, wide.Calibration);
        Assert.InRange(wide.Correction!.Value.Nanoseconds, 29_000, 31_000);
        Assert.InRange(wide.Allowance!.Value.Nanoseconds, 2_000, 4_000);
        Assert.Equal(CalibrationOrigin.None, narrow.Calibration);
        Assert.Equal(Duration.FromMicroseconds(2), narrow.Allowance);

        // The narrow path goes away: the wide one is followed with its calibration, not with a 30 us error.
        Feed(engine, 10, now => [("wide", Read(now, 100_000, 0.2))], ref t);
        wide = Source(engine, t, "wide");
        Assert.Equal(SourceVerdict.Selected, wide.Verdict);
        Assert.InRange(wide.CorrectedOffset!.Value.Nanoseconds, OffsetNs - 1_000, OffsetNs + 1_000);
        Assert.True(engine.AsymmetryError <= Duration.FromMicroseconds(4), $"allowance {engine.AsymmetryError}");
    }

    [Fact]
    public void AConfiguredCalibrationReplacesTheHalfWindow()
    {
        var options = new SyncEngineOptions
        {
            Calibrations = new Dictionary<string, SourceCalibration> { ["wide"] = new(Duration.FromMicroseconds(30), Duration.FromMicroseconds(3)) },
        };
        var engine = new SyncEngine(options, LeapSecondTable.Embedded);
        var t = StartNs;
        Feed(engine, 30, now => [("wide", Read(now, 100_000, 0.2))], ref t);

        var wide = Source(engine, t, "wide");
        Assert.Equal(CalibrationOrigin.Configured, wide.Calibration);
        Assert.Equal(Duration.FromMicroseconds(3), engine.AsymmetryError);
        Assert.InRange(wide.CorrectedOffset!.Value.Nanoseconds, OffsetNs - 500, OffsetNs + 500);
    }

    [Fact]
    public void ASourceThatDisagreesBeyondItsBoundIsLeftOut()
    {
        var engine = new SyncEngine(new SyncEngineOptions(), LeapSecondTable.Embedded);
        var t = StartNs;
        Feed(engine, 20, now =>
        [
            ("a", Read(now, 10_000, 0.5)),
            ("b", Read(now + 1_000_000, 10_000, 0.5)),
            ("broken", Read(now + 2_000_000, 10_000, 0.5, faultNs: 1_000_000)),
        ], ref t);

        Assert.Equal(SourceVerdict.Falseticker, Source(engine, t, "broken").Verdict);
        Assert.Equal(0, Source(engine, t, "broken").CalibrationPairs);
        var selected = engine.Snapshot(new Instant<Utc>(t)).SelectedSource;
        Assert.Contains(selected, new[] { "a", "b" });
        Assert.InRange(Source(engine, t, selected!).CorrectedOffset!.Value.Nanoseconds, OffsetNs - 1_000, OffsetNs + 1_000);
        Assert.False(engine.Snapshot(new Instant<Utc>(t)).NoMajority);
    }

    [Fact]
    public void TwoSourcesThatDisagreeAreReportedAsNoMajority()
    {
        var engine = new SyncEngine(new SyncEngineOptions(), LeapSecondTable.Embedded);
        var t = StartNs;
        Feed(engine, 10, now =>
        [
            ("a", Read(now, 10_000, 0.5)),
            ("b", Read(now + 1_000_000, 10_000, 0.5)),
        ], ref t);
        Assert.False(engine.Snapshot(new Instant<Utc>(t)).NoMajority);
        var followed = engine.Snapshot(new Instant<Utc>(t)).SelectedSource;

        // b's clock is now 1 ms off: nothing says whether a or b is right.
        Feed(engine, 5, now =>
        [
            ("a", Read(now, 10_000, 0.5)),
            ("b", Read(now + 1_000_000, 10_000, 0.5, faultNs: 1_000_000)),
        ], ref t);
        var snapshot = engine.Snapshot(new Instant<Utc>(t));
        Assert.True(snapshot.NoMajority);
        Assert.Equal(followed, snapshot.SelectedSource);
    }
}
