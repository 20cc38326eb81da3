using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// One step's readings into their sources' batches: each reading reduced and converted to an offset from UTC
/// (<see cref="SourceState.Measure"/>), UTC readings first so a TAI reading of the same step is converted with the
/// TAI - UTC the two show together (<see cref="TaiMinusUtcObservation"/>). The followed source's samples are raised
/// for the chrony agent and checked for a jump (<see cref="JumpDetector"/>; the first one after a disruption, for an
/// offset beyond the recovery threshold), which the engine acts on at once.
/// </summary>
internal sealed class ReadingIntake(SyncEngineOptions options, SourceSet sources, ReferenceScaleConverter converter,
    SmearTarget smearTarget, JumpDetector jumps, StepTimes times)
{
    /// <summary>See <see cref="SyncEngine.ReadingMeasured"/>.</summary>
    public event Action<string, OffsetSample>? ReadingMeasured;

    /// <summary>Set by a disruption: the followed source's next sample has nothing to be predicted from.</summary>
    public bool Disrupted { get; set; }

    /// <summary>
    /// Takes the step's readings; returns the newest accepted sample's local time (null: none), or the command of the
    /// first jump (<paramref name="onJump"/> acts on it before the next reading is taken).
    /// </summary>
    public (Instant<Utc>? Latest, ClockCommand? Jump) Take(IReadOnlyList<(string Id, PhcReading Reading)> readings,
        Func<OffsetSample, Duration, ClockCommand> onJump)
    {
        Instant<Utc>? latest = null;
        ClockCommand? jumped = null;
        foreach (var (id, reading) in readings.OrderBy(r => r.Reading.PhcScale.Scale == TimeScale.Utc ? 0 : 1))
        {
            var (accepted, jumpCommand) = Accept(id, reading, readings.Count == 1, onJump);
            jumped ??= jumpCommand;
            if (accepted is { } at && (latest is not { } l || at > l))
                latest = at;
        }
        return (latest, jumped);
    }

    /// <summary>
    /// Reduce one reading into its source's batch; returns the sample's local time (null when rejected), or the
    /// command when the followed source jumped.
    /// </summary>
    private (Instant<Utc>? At, ClockCommand? Jump) Accept(string id, PhcReading reading, bool onlyOne,
        Func<OffsetSample, Duration, ClockCommand> onJump)
    {
        var source = sources.GetOrAdd(id, reading.PhcScale);
        if (source.Measure(reading, converter) is not { } offsetSample)
            return (null, null);
        // One source read per step: the loop chose it (failover), so it is the one followed.
        if (onlyOne)
            sources.FollowedId = id;
        var followed = sources.FollowedId;
        var corrected = source.Corrected(offsetSample);
        // The chrony agent's sample: each reading of the followed source, calibrated, against what the clock must follow.
        if (id == followed || followed is null)
            ReadingMeasured?.Invoke(id, smearTarget.Offset(corrected, source.Smear));

        // The first sample of the followed source after a disruption (vmclock marker): nothing to predict it from, so
        // an offset beyond the recovery threshold is the disruption's jump and is handled as one.
        if (Disrupted && id == followed)
        {
            Disrupted = false;
            if (corrected.Offset.Abs() > options.Discipline.Steps.RecoveryThreshold)
                return (null, onJump(corrected, corrected.Offset));
        }

        // A jump of the followed source acts at once (a source that is not followed cannot move the clock).
        if (id == followed && jumps.JumpIn(corrected, times.LastFilteredAt) is { } jump)
            return (null, onJump(corrected, jump));

        source.Batch.Add(offsetSample);
        return (offsetSample.LocalTime, null);
    }
}
