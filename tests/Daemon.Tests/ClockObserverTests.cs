using Sync.Clock.Abstractions;
using Sync.Daemon.Pipeline;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>
/// Observe mode (chrony agent, dry run) sees another program's step exactly, as a change of CLOCK_REALTIME -
/// CLOCK_MONOTONIC: the reading a step may have fallen into is dropped, the engine's estimate carries on across the
/// step (no jump, no restart) and reports the clock's real offset after it.
/// </summary>
public class ClockObserverTests
{
    [Theory]
    [InlineData(2_000_000_000L)]
    [InlineData(-1_500_000L)]
    public void AStepDuringAReadingIsReadBackAndThatReadingDropped(long stepNs)
    {
        var guest = new SteppableGuest();
        var phc = new SteppingPhc(guest, stepAtRead: 40, stepNs);
        var pipeline = new EnginePipeline(new SyncEngineOptions { Control = ClockControl.Observe }, LeapSecondTable.Embedded, 9, Duration.FromMilliseconds(250));
        var observer = new ClockObserver(guest, pipeline.Engine);
        var loop = new SyncLoop(pipeline, [phc], guest, writeEnabled: false, observer: observer);
        var measured = 0;
        pipeline.Engine.ReadingMeasured += (_, _) => measured++;

        for (var i = 0; i < 80; i++)
        {
            guest.Toy.Advance(TimeSpan.FromMilliseconds(250));
            loop.Step();
        }

        Assert.Equal(80, phc.Reads);
        Assert.Equal(79, measured);
        Assert.Equal(1, observer.StepsSeen);
        Assert.Equal(1, pipeline.Engine.ExternalSteps);
        Assert.Equal(stepNs, pipeline.Engine.LastExternalStep!.Value.Size.Nanoseconds);
        Assert.Equal(0, pipeline.Engine.Jumps);
        // The toy guest starts 40 us ahead; after the step it is 40 us + the step ahead, and the engine says so.
        var offset = loop.Current!.LastOffset!.Value.Nanoseconds;
        var truth = guest.Toy.LocalNs - guest.Toy.TrueNs;
        Assert.InRange(offset, truth - 5_000, truth + 5_000);
    }

    [Fact]
    public void WithoutAStepNothingIsDroppedOrReported()
    {
        var guest = new SteppableGuest();
        var pipeline = new EnginePipeline(new SyncEngineOptions { Control = ClockControl.Observe }, LeapSecondTable.Embedded, 9, Duration.FromMilliseconds(250));
        var observer = new ClockObserver(guest, pipeline.Engine);
        var loop = new SyncLoop(pipeline, [new SteppingPhc(guest, stepAtRead: -1, 0)], guest, writeEnabled: false, observer: observer);
        var measured = 0;
        pipeline.Engine.ReadingMeasured += (_, _) => measured++;
        for (var i = 0; i < 40; i++)
        {
            guest.Toy.Advance(TimeSpan.FromMilliseconds(250));
            loop.Step();
        }
        Assert.Equal(40, measured);
        Assert.Equal(0, observer.StepsSeen);
    }

    /// <summary>The toy guest, with CLOCK_REALTIME - CLOCK_MONOTONIC: the steps made to it.</summary>
    private sealed class SteppableGuest : ISystemClock
    {
        public ToyGuest Toy { get; } = new();
        public long StepsNs { get; private set; }
        public void StepBy(long ns)
        {
            Toy.Apply(new ClockCommand { Step = new Duration(ns) });
            StepsNs += ns;
        }
        public Instant<Utc> Now() => Toy.Now();
        public ClockResult<KernelClockState> ReadState() => Toy.ReadState();
        public ClockResult<KernelClockState> Apply(ClockCommand command) => throw new InvalidOperationException("observe mode writes nothing");
        public (Duration Value, Duration Uncertainty)? StepOffset() => (new Duration(StepsNs), Duration.FromNanoseconds(500));
    }

    /// <summary>A PHC on the toy guest whose read number stepAtRead (1-based) has someone step the guest half way through.</summary>
    private sealed class SteppingPhc(SteppableGuest guest, int stepAtRead, long stepNs) : IReferenceClock
    {
        private readonly ToyPhc _inner = new(guest.Toy, "/dev/ptp0");
        public int Reads { get; private set; }
        public ReferenceClockInfo Info => _inner.Info;
        public ReadingMethod? Method => _inner.Method;

        public ClockResult<PhcReading> Read(int samplesPerReading)
        {
            Reads++;
            if (Reads != stepAtRead)
                return _inner.Read(samplesPerReading);
            var before = _inner.Read(samplesPerReading / 2).Value;
            guest.StepBy(stepNs);
            var after = _inner.Read(samplesPerReading - samplesPerReading / 2).Value;
            return ClockResult<PhcReading>.Ok(new PhcReading(ReadingMethod.Extended, before.PhcScale, [.. before.Samples, .. after.Samples]));
        }

        public void Dispose() { }
    }
}
