using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// What the sync loop drives: readings in, clock commands out. virtsync's own is <see cref="EnginePipeline"/>;
/// the benchmark plugs in a phc2sys-style baseline through the same seam.
/// </summary>
public interface ISyncPipeline
{
    string Name { get; }
    int SamplesPerReading { get; }
    Duration ReadInterval { get; }
    long Steps { get; }
    long Discontinuities { get; }

    ClockCommand? OnReading(string sourceId, PhcReading reading);
    /// <summary>One step's readings of several sources (sources:combine); by default each in turn, the last command kept.</summary>
    ClockCommand? OnReadings(IReadOnlyList<(string SourceId, PhcReading Reading)> readings)
    {
        ClockCommand? command = null;
        foreach (var (id, reading) in readings)
            command = OnReading(id, reading) ?? command;
        return command;
    }

    ClockCommand? OnMissedReading(string sourceId, Instant<Utc> localNow, string reason);

    /// <summary>The command the pipeline returned last was applied between local times before and after (the clock
    /// read just before and just after the apply): when its rate change took effect.</summary>
    void CommandApplied(Instant<Utc> before, Instant<Utc> after) { }

    /// <summary>The bound the pipeline stands behind for |local - reference| now (null: it publishes none).</summary>
    Duration? Bound(Instant<Utc> localNow);

    SyncSnapshot Snapshot(Instant<Utc> localNow);

    /// <summary>Start over from the kernel's current frequency (another program steered the clock meanwhile).</summary>
    void Restart(double currentFrequencyPpm) { }

    /// <summary>The hypervisor announced a clock disruption (vmclock marker): the command to apply at once, or null.</summary>
    ClockCommand? OnDisruption(Instant<Utc> localNow) => null;
}
