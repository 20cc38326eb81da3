using Sync.Clock.Abstractions;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Daemon.Pipeline;

/// <summary>virtsync's pipeline: the <see cref="SyncEngine"/> with its read schedule (readInterval is the engine's
/// <see cref="SyncEngineOptions.ReadInterval"/> too: one interval for reading and estimating).</summary>
public sealed class EnginePipeline(SyncEngineOptions options, LeapSecondTable leapTable, int samplesPerReading, Duration readInterval, double initialFrequencyPpm = 0)
    : ISyncPipeline
{
    public SyncEngine Engine { get; } = new(options with { ReadInterval = readInterval }, leapTable, initialFrequencyPpm);

    /// <summary>
    /// Registers the clocks the loop will read, in their order of preference (the first preferred on ties): `sync`
    /// and `simulate` both, with the clocks as <see cref="Clock.Linux.PtpClockSelector"/> chose them.
    /// </summary>
    public void AddSources(IEnumerable<IReferenceClock> clocks)
    {
        foreach (var clock in clocks)
            Engine.AddSource(clock.Info.Path, clock.Info.Name, clock.Info.Scale);
    }

    public string Name => "virtsync";
    public int SamplesPerReading => samplesPerReading;
    public Duration ReadInterval => readInterval;
    public long Steps => Engine.Steps;
    public long Discontinuities => Engine.Discontinuities;

    public ClockCommand? OnReading(string sourceId, PhcReading reading) => Engine.OnReading(sourceId, reading);

    public ClockCommand? OnReadings(IReadOnlyList<(string SourceId, PhcReading Reading)> readings) => Engine.OnReadings(readings);

    public ClockCommand? OnMissedReading(string sourceId, Instant<Utc> localNow, string reason) =>
        Engine.OnMissedReading(sourceId, localNow, reason);

    public void CommandApplied(Instant<Utc> before, Instant<Utc> after) => Engine.CommandApplied(before, after);

    public Duration? Bound(Instant<Utc> localNow) => Engine.CurrentBound(localNow);

    public SyncSnapshot Snapshot(Instant<Utc> localNow) => Engine.Snapshot(localNow) with
    {
        ObservedTaiMinusUtc = Engine.ObservedTaiMinusUtc,
        ObservedTaiMinusUtcDisagreesWithTable = Engine.ObservedTaiMinusUtcDisagreesWithTable,
    };

    public void Restart(double currentFrequencyPpm) => Engine.Restart(currentFrequencyPpm);

    public ClockCommand? OnDisruption(Instant<Utc> localNow) => Engine.OnDisruption(localNow);
}
