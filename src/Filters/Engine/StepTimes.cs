using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// The times between the engine's steps: where the step's readings end (its commands take effect just after them),
/// where the last update's batch ended (the next update is due about a read interval later), when the estimator last
/// took a sample (holdover starts <see cref="SyncEngineOptions.EffectiveHoldoverAfter"/> later) and when the last
/// command was issued (holdover commands at most once a read interval).
/// </summary>
internal sealed class StepTimes(SyncEngineOptions options)
{
    private Instant<Utc>? _lastBatchEndAt;
    private Instant<Utc>? _lastCommandAt;

    /// <summary>Just after the last timestamp of the step's readings.</summary>
    public Instant<Utc> ReadingEnd { get; private set; }

    /// <summary>The local time of the last sample acted on (or of a jump or disruption); null after a restart.</summary>
    public Instant<Utc>? LastFilteredAt { get; private set; }

    /// <summary>A step's readings: estimates and adjustments are dated just after their last timestamp.</summary>
    public void ReadingsEnd(IReadOnlyList<(string Id, PhcReading Reading)> readings) =>
        ReadingEnd = new Instant<Utc>(readings.Max(r => r.Reading.Samples.Count == 0 ? long.MinValue + 1 : r.Reading.Samples.Max(t => t.SysAfterNs)) + 1);

    /// <summary>True, and the batch ends at <paramref name="sampleAt"/>, when 9/10 of a read interval passed since the last one ended.</summary>
    public bool UpdateDue(Instant<Utc> sampleAt)
    {
        if (_lastBatchEndAt is { } lastEnd && sampleAt - lastEnd < options.ReadInterval * 9 / 10)
            return false;
        _lastBatchEndAt = sampleAt;
        return true;
    }

    /// <summary>True, and a command is issued at <paramref name="now"/>, when no sample came for the holdover time and no
    /// command for a read interval.</summary>
    public bool HoldoverDue(Instant<Utc> now)
    {
        if (LastFilteredAt is { } last && now - last < options.EffectiveHoldoverAfter)
            return false;
        if (_lastCommandAt is { } lastCommand && now - lastCommand < options.ReadInterval)
            return false;
        _lastCommandAt = now;
        return true;
    }

    /// <summary>A sample, or a disruption, was acted on at <paramref name="at"/>.</summary>
    public void ActedAt(Instant<Utc> at)
    {
        LastFilteredAt = at;
        _lastCommandAt = at;
    }

    /// <summary>A jump was acted on at <paramref name="at"/>: the batch ends there too.</summary>
    public void JumpedAt(Instant<Utc> at)
    {
        _lastBatchEndAt = at;
        ActedAt(at);
    }

    /// <summary>The batch was dropped: the next sample ends one at once.</summary>
    public void ForgetBatch() => _lastBatchEndAt = null;

    /// <summary>Start over as at start-up.</summary>
    public void Restart()
    {
        LastFilteredAt = null;
        _lastCommandAt = null;
    }

    /// <summary>When a command made for this sample takes effect: after the step's readings, and after the sample.</summary>
    public Instant<Utc> CommandTime(OffsetSample sample) =>
        ReadingEnd > sample.LocalTime ? ReadingEnd : sample.LocalTime + Duration.FromNanoseconds(1);
}
