using Sync.Clock.Abstractions;
using Sync.Filters.Discipline;
using Sync.Filters.Status;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// The one place where edges and core meet: read the selected reference clock, hand the reading to the
/// pipeline, apply the command to the system clock. Clocks are tried in order of preference every step, so
/// the loop fails over to the next clock while one is gone and is back on the preferred one as soon as it reads. Used as it is by `sync` (real clocks, real timer) and
/// `simulate` (simulated clocks, virtual time).
/// </summary>
public sealed class SyncLoop(ISyncPipeline pipeline, IReadOnlyList<IReferenceClock> clocks, ISystemClock systemClock, bool writeEnabled = true)
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

    public ClockCommand? Step()
    {
        ClockCommand? command = null;
        for (_selected = 0; _selected < clocks.Count; _selected++)
        {
            var clock = clocks[_selected];
            var id = clock.Info.Path;
            var reading = clock.Read(pipeline.SamplesPerReading);
            if (reading.IsOk)
            {
                command = pipeline.OnReading(id, reading.Value);
                if (!_hadGoodSample)
                {
                    _hadGoodSample = true;
                    FirstGoodSample?.Invoke();
                }
                break;
            }
            command = pipeline.OnMissedReading(id, systemClock.Now(), reading.Error!.ToString());
            if (reading.Error!.Kind is not (ClockErrorKind.DeviceGone or ClockErrorKind.NotSupported) || _selected == clocks.Count - 1)
                break;
        }

        if (command is { IsEmpty: false })
        {
            CommandIssued?.Invoke(command);
            if (writeEnabled)
            {
                var result = systemClock.Apply(command);
                LastApplyError = result.Error;
                if (result.IsOk)
                    CommandsApplied++;
            }
        }
        Current = pipeline.Snapshot(systemClock.Now());
        Updated?.Invoke(Current);
        return command;
    }
}
