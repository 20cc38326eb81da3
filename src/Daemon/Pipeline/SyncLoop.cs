using Sync.Clock.Abstractions;
using Sync.Daemon.Resilience;
using Sync.Filters.Discipline;
using Sync.Filters.Selection;
using Sync.Filters.Status;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// The one place where edges and core meet: read the selected reference clock, hand the reading to the
/// pipeline, apply the command to the system clock. Which clock a step reads and uses is the core's pure decision
/// (<see cref="SourceFailover"/>): clocks are tried in order of preference every step, so the loop fails over to the
/// next clock while one is gone or does not answer (a real PHC is read through a TimeBoundedReferenceClock, so a
/// stuck read ends in a Timeout error instead of stalling the loop) and is back on the preferred one as soon as it
/// reads; with sources:combine every clock is read. The loop only executes that decision. Used as it is by `sync` (real clocks, real timer) and
/// `simulate` (simulated clocks, virtual time). In observe mode (chrony agent, dry run) an <see cref="ClockObserver"/>
/// reads the clock's kernel state back before every reading and looks for a step after it (a reading a step may
/// have fallen into is dropped).
/// </summary>
public sealed class SyncLoop(ISyncPipeline pipeline, IReadOnlyList<IReferenceClock> clocks, ISystemClock systemClock, bool writeEnabled = true,
    bool combine = false, ClockObserver? observer = null)
{
    private int _selected;

    public ISyncPipeline Pipeline => pipeline;
    public IReferenceClock Selected => clocks[Math.Min(_selected, clocks.Count - 1)];
    public SyncSnapshot? Current { get; private set; }
    public ClockError? LastApplyError { get; private set; }
    public long CommandsApplied { get; private set; }

    /// <summary>Raised after every step with the new snapshot.</summary>
    public event Action<SyncSnapshot>? Updated;

    /// <summary>Raised for every command, applied or not (dry run prints them).</summary>
    public event Action<ClockCommand>? CommandIssued;

    /// <summary>Raised the first time a reading produced a good sample.</summary>
    public event Action? FirstGoodSample;
    private bool _hadGoodSample;

    /// <summary>
    /// Watches for another program steering the clock (only when this loop writes it): read the kernel's state
    /// before each step, hand off while someone else writes, start over once they have been quiet.
    /// </summary>
    public ForeignWriterGuard? ForeignWriters { get; init; }

    /// <summary>
    /// Watches vmclock's disruption marker (where the VM has the device): read before each step's PHC reading, a change
    /// puts the pipeline into recovery (kernel told unsynchronized, bound 16 s) within that step.
    /// </summary>
    public VmClockDisruptionWatcher? VmClockDisruptions { get; init; }

    /// <summary>Raised when the vmclock disruption marker changed (after the pipeline was told).</summary>
    public event Action<VmClockDisruption>? VmClockDisrupted;

    /// <summary>Raised when another writer is detected (Detected) or has been quiet long enough (Resumed).</summary>
    public event Action<ForeignWriterVerdict>? ForeignWriterChanged;

    /// <summary>Raised after every read of a clock with its error (null: the read worked).</summary>
    public event Action<IReferenceClock, ClockError?>? ReadCompleted;

    /// <summary>
    /// The core's word for what a read gave (<see cref="SourceFailover"/> decides from it): the device is gone, the
    /// method is not offered, or the device does not answer (a read stuck in the driver) make the clock Unavailable,
    /// so the next one is tried in the same step; any other error is this clock's Failed read.
    /// </summary>
    public static ReadOutcome OutcomeOf(ClockErrorKind kind) =>
        kind is ClockErrorKind.DeviceGone or ClockErrorKind.NotSupported or ClockErrorKind.Timeout
            ? ReadOutcome.Unavailable : ReadOutcome.Failed;

    public ClockCommand? Step()
    {
        observer?.Observe();
        if (!WatchForeignWriters())
        {
            Current = WithWatchers(pipeline.Snapshot(systemClock.Now()) with { State = SyncState.Yielding });
            Updated?.Invoke(Current);
            return null;
        }
        if (VmClockDisruptions?.Poll() is { } disruption)
        {
            Apply(pipeline.OnDisruption(systemClock.Now()));
            VmClockDisrupted?.Invoke(disruption);
        }
        var round = SourceFailover.Start(clocks.Count, combine);
        Apply(round.ReadsAll ? ReadAll(round) : ReadFirstThatAnswers(round), out var command);
        Current = WithWatchers(pipeline.Snapshot(systemClock.Now()));
        Updated?.Invoke(Current);
        return command;
    }

    /// <summary>The snapshot with what the loop's own watchers saw (other writers, vmclock disruptions).</summary>
    private SyncSnapshot WithWatchers(SyncSnapshot snapshot)
    {
        if (ForeignWriters is { } guard)
            snapshot = snapshot with { ForeignWriterDetections = guard.Detections };
        if (VmClockDisruptions is { } vmclock)
            snapshot = snapshot with { VmClockMarker = vmclock.Marker, VmClockDisruptions = vmclock.Disruptions };
        return snapshot;
    }

    private void Apply(ClockCommand? command) => Apply(command, out _);

    private void Apply(ClockCommand? command, out ClockCommand? issued)
    {
        issued = command;
        if (command is not { IsEmpty: false })
            return;
        CommandIssued?.Invoke(command);
        if (!writeEnabled)
            return;
        // The clock read around the apply dates the command's rate change (see SyncEngine.CommandApplied).
        var before = systemClock.Now();
        var result = systemClock.Apply(command);
        var after = systemClock.Now();
        LastApplyError = result.Error;
        if (result.IsOk)
        {
            CommandsApplied++;
            pipeline.CommandApplied(before, after);
            ForeignWriters?.OnWritten(result.Value);
        }
    }

    /// <summary>
    /// sources:combine: every clock is read each step and the readings go to the pipeline together, which combines
    /// them by their bounds (misses are recorded per clock).
    /// </summary>
    private ClockCommand? ReadAll(SourceFailover round)
    {
        var readings = new List<(string, Filters.Samples.PhcReading)>(clocks.Count);
        ClockCommand? missed = null;
        while (round.Next is { } i)
        {
            var clock = clocks[i];
            var reading = clock.Read(pipeline.SamplesPerReading);
            ReadCompleted?.Invoke(clock, reading.Error);
            if (reading.IsOk)
            {
                readings.Add((clock.Info.Path, reading.Value));
                round = round.After(ReadOutcome.Answered);
                continue;
            }
            missed = pipeline.OnMissedReading(clock.Info.Path, systemClock.Now(), reading.Error!.ToString()) ?? missed;
            round = round.After(OutcomeOf(reading.Error.Kind));
        }
        _selected = round.Selected;
        if (readings.Count == 0)
            return missed;
        if (SteppedAround())
        {
            foreach (var (id, _) in readings)
                missed = pipeline.OnMissedReading(id, systemClock.Now(), SteppedReason) ?? missed;
            return missed;
        }
        if (!_hadGoodSample)
        {
            _hadGoodSample = true;
            FirstGoodSample?.Invoke();
        }
        return pipeline.OnReadings(readings);
    }

    /// <summary>Failover: the clocks <see cref="SourceFailover"/> names, until one answered or the step ends.</summary>
    private ClockCommand? ReadFirstThatAnswers(SourceFailover round)
    {
        ClockCommand? command = null;
        while (round.Next is { } i)
        {
            var clock = clocks[i];
            var id = clock.Info.Path;
            var reading = clock.Read(pipeline.SamplesPerReading);
            ReadCompleted?.Invoke(clock, reading.Error);
            if (reading.IsOk && SteppedAround())
            {
                command = pipeline.OnMissedReading(id, systemClock.Now(), SteppedReason);
                round = round.After(ReadOutcome.Dropped);
            }
            else if (reading.IsOk)
            {
                command = pipeline.OnReading(id, reading.Value);
                if (!_hadGoodSample)
                {
                    _hadGoodSample = true;
                    FirstGoodSample?.Invoke();
                }
                round = round.After(ReadOutcome.Answered);
            }
            else
            {
                command = pipeline.OnMissedReading(id, systemClock.Now(), reading.Error!.ToString());
                round = round.After(OutcomeOf(reading.Error.Kind));
            }
        }
        _selected = round.Selected;
        return command;
    }

    private const string SteppedReason = "the clock was stepped (by another program) around the reading: reading dropped";

    /// <summary>Observe mode: was the clock stepped since the look before the reading? (Then the reading may straddle it.)</summary>
    private bool SteppedAround() => observer?.SteppedSinceLastLook() == true;

    /// <summary>False while another program steers the clock (then this step neither reads nor writes).</summary>
    private bool WatchForeignWriters()
    {
        if (!writeEnabled || ForeignWriters is not { } guard)
            return true;
        var state = systemClock.ReadState();
        if (!state.IsOk)
            return guard.Steering;
        var verdict = guard.Observe(systemClock.Now(), state.Value);
        if (verdict.Resumed)
            pipeline.Restart(state.Value.FrequencyPpm);
        if (verdict.Detected || verdict.Resumed)
            ForeignWriterChanged?.Invoke(verdict);
        return verdict.Steering;
    }
}
