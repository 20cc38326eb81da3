using Microsoft.Extensions.Logging;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// Says at Warning what an operator must know happened to the clock: every step (its size and reason) and every
/// jump the engine saw in one sample (a pause, restore or migration), whether or not it was stepped. The counts
/// are in the snapshot (virtsync_steps_total{reason}, status), so logs and metrics agree. When the engine only
/// observes (chrony agent, dry run) nothing is stepped: the commands are said as what a steering daemon would do,
/// and a jump (typically chronyd's own step) at Information, since virtsync does not correct it.
/// </summary>
public sealed partial class StepReporter(ILogger log, SyncEngine engine, TimeProvider? time = null)
{
    /// <summary>
    /// An observing engine proposes a step again every few updates while nobody corrects the offset (a dry run on a
    /// drifting clock, chronyd before its first step): one line per episode. An episode ends when no step has been
    /// proposed for this long.
    /// </summary>
    public static readonly TimeSpan WouldStepEpisodeGap = TimeSpan.FromSeconds(60);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _jumpsReported;
    private long _externalStepsReported;
    private long? _lastWouldStepAt;
    private long _wouldStepRepeats;

    /// <summary>Call with every command the loop issues (the dry run's too: it says what would be done).</summary>
    public void OnCommand(ClockCommand command)
    {
        ReportJumps(command);
        if (command.Step is not { } step)
            return;
        var reason = StepReasons.Name(command.StepReason ?? StepReason.Startup);
        if (Observing)
            ReportWouldStep(step.TotalSeconds, reason);
        else
            LogStep(step.TotalSeconds, reason);
    }

    private void ReportWouldStep(double stepSeconds, string reason)
    {
        var now = _time.GetTimestamp();
        var sameEpisode = _lastWouldStepAt is { } last && _time.GetElapsedTime(last, now) < WouldStepEpisodeGap;
        _lastWouldStepAt = now;
        if (sameEpisode)
        {
            _wouldStepRepeats++;
            return;
        }
        if (_wouldStepRepeats > 0)
            LogWouldStepRepeated(stepSeconds, reason, _wouldStepRepeats);
        else
            LogWouldStep(stepSeconds, reason);
        _wouldStepRepeats = 0;
    }

    /// <summary>Call after every loop step: reports a jump that came with no command.</summary>
    public void AfterStep() => ReportJumps(null);

    private void ReportJumps(ClockCommand? command)
    {
        if (engine.ExternalSteps != _externalStepsReported && engine.LastExternalStep is { } external)
        {
            _externalStepsReported = engine.ExternalSteps;
            LogExternalStep(external.Size.TotalSeconds);
        }
        if (engine.Jumps == _jumpsReported || engine.LastJump is not { } jump)
            return;
        _jumpsReported = engine.Jumps;
        if (Observing)
        {
            LogObservedJump(jump.Size.TotalSeconds);
            return;
        }
        var action = command?.StepReason == StepReason.Jump ? "stepping back"
            : "slewing (steps after a discontinuity are not allowed)";
        LogJump(jump.Size.TotalSeconds, action);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "clock jump: the offset moved by {JumpSeconds:+0.000000;-0.000000} s between two samples (VM paused, restored or migrated); kernel told unsynchronized until corrected; {Action}")]
    private partial void LogJump(double jumpSeconds, string action);

    private bool Observing => engine.Options.Control == ClockControl.Observe;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "clock jump: the offset moved by {JumpSeconds:+0.000000;-0.000000} s between two samples (another program stepped the clock, or the VM was paused, restored or migrated); observing only, virtsync does not correct it")]
    private partial void LogObservedJump(double jumpSeconds);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "observing only: a steering daemon would step the clock by {StepSeconds:+0.000000000;-0.000000000} s (reason: {Reason}); not applied (further proposals are not logged until none has come for 60 s)")]
    private partial void LogWouldStep(double stepSeconds, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "another program (chronyd?) stepped the clock by {StepSeconds:+0.000000000;-0.000000000} s (seen in CLOCK_REALTIME - CLOCK_MONOTONIC); the estimate carries on across it, the reading around it is dropped")]
    private partial void LogExternalStep(double stepSeconds);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "observing only: a steering daemon would step the clock by {StepSeconds:+0.000000000;-0.000000000} s (reason: {Reason}); not applied ({Repeats} more proposals in the previous episode were not logged)")]
    private partial void LogWouldStepRepeated(double stepSeconds, string reason, long repeats);

    [LoggerMessage(Level = LogLevel.Warning, Message = "stepped the clock by {StepSeconds:+0.000000000;-0.000000000} s (reason: {Reason})")]
    private partial void LogStep(double stepSeconds, string reason);
}
