using Sync.Clock.Simulation;
using Sync.Clock.Virtio;
using Sync.Clock.Virtio.Rtc;
using Sync.Daemon.Pipeline;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>
/// Another daemon steers the guest's clock for a while, then stops (chronyd started beside virtsync, then stopped):
/// the loop must notice, keep its hands off while the other writes, and take over again once it has been quiet.
/// </summary>
public sealed class ForeignWriterTests
{
    [Fact]
    public void AForeignWriterIsDetectedLeftAloneAndSteeringResumesWhenItStops()
    {
        var scenario = ScenarioCatalog.Get("virtio-x86");
        scenario.DurationS = 400;
        var world = ScenarioWorld.Create(scenario);
        using var device = new VirtioRtcDevice(new VirtioRtcDeviceOptions { Clocks = [new DeviceClock(world.ServedClock)] });
        var driver = new VirtioRtcDriver(new InMemoryVirtqueueChannel(device));
        world.Phc.DeviceRead = () => driver.Read(0).Value;
        var pipeline = new EnginePipeline(new SyncEngineOptions(), world.LeapTable, world.SamplesPerReading, Duration.FromNanoseconds(world.ReadIntervalNs));
        var quiet = Duration.FromSeconds(30);
        var loop = new SyncLoop(pipeline, [world.Phc], world.GuestClock) { ForeignWriters = new ForeignWriterGuard(quiet) };
        var verdicts = new List<(double T, ForeignWriterVerdict Verdict)>();
        var elapsedS = 0.0;
        loop.ForeignWriterChanged += v => verdicts.Add((elapsedS, v));

        const double foreignFromS = 120, foreignUntilS = 200;
        double ForeignPpm(double t) => 40 + (t - foreignFromS) * 0.1; // a writer that is not us: far from our frequency
        var yieldingFrequencies = new List<double>();
        var offsetsAfterNs = new List<(double T, long OffsetNs)>();
        var nextForeignWriteS = foreignFromS;
        for (var t = world.StartTrueNs; t < world.EndTrueNs; t += world.ReadIntervalNs)
        {
            world.AdvanceTo(t);
            elapsedS = (t - world.StartTrueNs) / 1e9;
            if (elapsedS >= nextForeignWriteS && elapsedS <= foreignUntilS)
            {
                // chronyd-like: a frequency and status write every 2 s.
                world.GuestClock.Apply(new ClockCommand { FrequencyPpm = ForeignPpm(elapsedS), Status = ClockStatus.None, MaxError = Duration.FromMilliseconds(10) });
                nextForeignWriteS += 2;
            }
            loop.Step();
            if (loop.Current!.State == SyncState.Yielding && elapsedS > foreignFromS + 1 && elapsedS <= foreignUntilS)
                yieldingFrequencies.Add(world.GuestClock.ReadState().Value.FrequencyPpm);
            offsetsAfterNs.Add((elapsedS, world.GuestClock.TrueOffsetNs));
        }

        var detected = Assert.Single(verdicts, v => v.Verdict.Detected);
        Assert.InRange(detected.T, foreignFromS, foreignFromS + 0.5); // the first foreign write, seen at the next read
        Assert.Contains("frequency", detected.Verdict.Change);
        var resumed = Assert.Single(verdicts, v => v.Verdict.Resumed);
        // Resumes once the writer has been quiet for 30 s: after its last write (t <= 200) plus 30 s, not much later.
        Assert.InRange(resumed.T, foreignUntilS - 2 + quiet.TotalSeconds, foreignUntilS + quiet.TotalSeconds + 1);
        // While it wrote, every frequency in the kernel was its own: we never fought.
        Assert.NotEmpty(yieldingFrequencies);
        Assert.All(yieldingFrequencies, f => Assert.InRange(f, 39.9, 48.1));
        // After taking over again, the offset (tens of ms after the other writer's 40+ ppm) comes back.
        var lastMinute = offsetsAfterNs.Where(o => o.T > world.Scenario.DurationS - 60).Select(o => Math.Abs(o.OffsetNs)).ToList();
        Assert.True(lastMinute.Max() < 20_000, $"max |offset| in the last minute {lastMinute.Max()} ns");
        Assert.Equal(1, loop.Current!.ForeignWriterDetections);
        Assert.NotEqual(SyncState.Yielding, loop.Current.State);
    }
}
