using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Engine;

/// <summary>
/// Recovery after a pause through a noisy path like the lab's served device (160 us windows, readings scattered about
/// 16 us): a pause moves the clock's phase, not its oscillator, so once the jump is stepped the error must come back
/// to what it was before within a few seconds. Seen in the lab (pause-r1, 10 s pause): the estimator restarted its
/// frequency from nothing, the first seconds' samples fitted a slope through their noise and the discipline steered
/// it, 10-30 us off for several seconds against 2-4 us in steady state.
/// </summary>
public class PauseRecoveryTests
{
    private const int ReadsPerSecond = 4;
    private const int Worlds = 20;

    private sealed record Run(List<long> BeforeNs, List<long> AfterNs);

    private static Run PauseThroughANoisyPath(int pauseS, int seed)
    {
        var clock = new ToyGuestClock(frequencyErrorPpm: 20, initialOffsetNs: 5_000, seed: seed);
        var noise = new Random(seed * 7 + 1);
        var engine = new SyncEngine(new SyncEngineOptions(), LeapSecondTable.Embedded);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - noise.NextDouble())) * Math.Cos(2 * Math.PI * noise.NextDouble());
        void Read()
        {
            clock.Advance(1_000_000_000L / ReadsPerSecond);
            // Where in its 160 us window the device was read: the served path's asymmetry, 16 us sd per reading.
            var readPoint = Math.Clamp(0.5 + 0.1 * Gauss(), 0.05, 0.95);
            if (engine.OnReading("ptp0", clock.Read(9, ClockScale.Utc, windowNs: 160_000, readPoint)) is { } command)
                clock.Apply(command);
        }
        var before = new List<long>();
        for (var i = 0; i < 120 * ReadsPerSecond; i++)
        {
            Read();
            if (i >= 60 * ReadsPerSecond) before.Add(clock.TrueOffsetNs);
        }
        clock.Pause(pauseS * Duration.NanosecondsPerSecond);
        var after = new List<long>();
        for (var i = 0; i < 60 * ReadsPerSecond; i++)
        {
            Read();
            after.Add(clock.TrueOffsetNs);
        }
        Assert.Equal(1, engine.Jumps);
        Assert.Equal(1, engine.Controller.StepsFor(StepReason.Jump));
        return new Run(before, after);
    }

    private static double PooledRmsNs(IEnumerable<IEnumerable<long>> runs)
    {
        var all = runs.SelectMany(x => x).ToList();
        return Math.Sqrt(all.Average(x => (double)x * x));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(120)]
    public void AfterAPauseTheErrorIsBackToItsSteadyStateWithinSeconds(int pauseS)
    {
        var runs = Enumerable.Range(1, Worlds).Select(seed => PauseThroughANoisyPath(pauseS, seed)).ToList();
        double steadyNs = PooledRmsNs(runs.Select(r => r.BeforeNs));
        // The first second after resume carries the jump sample's own imprecision (one reading steps the clock);
        // from then on only the offset is to be found again.
        double recoveringNs = PooledRmsNs(runs.Select(r => r.AfterNs.Skip(ReadsPerSecond).Take(9 * ReadsPerSecond)));
        double laterNs = PooledRmsNs(runs.Select(r => r.AfterNs.Skip(20 * ReadsPerSecond)));
        // Restarting the frequency after the jump: 4.3x in seconds 1-10, 1.4x in seconds 20-60; kept: 2.4x, 0.8x.
        Assert.True(recoveringNs <= 3 * steadyNs, $"RMS 1-10 s after resume {recoveringNs / 1000:F2} us, steady state {steadyNs / 1000:F2} us");
        Assert.True(laterNs <= 1.2 * steadyNs, $"RMS 20-60 s after resume {laterNs / 1000:F2} us, steady state {steadyNs / 1000:F2} us");
    }
}
