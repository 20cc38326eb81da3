using Sync.Clock.Abstractions;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Time;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// Observe mode's eye on the clock (chrony refclock agent, `--dry-run`): before each reading, reads the system
/// clock's kernel state back (clock_adjtime with modes 0, never a write) and hands its frequency correction to the
/// engine, which tells its estimator of every change someone else (chronyd) made. Steps are seen exactly as changes
/// of CLOCK_REALTIME - CLOCK_MONOTONIC (<see cref="ISystemClock.StepOffset"/>), looked at before and after each
/// reading: the engine is told of the step, and the caller drops a reading that a step may have fallen into.
/// </summary>
public sealed class ClockObserver(ISystemClock clock, SyncEngine engine)
{
    /// <summary>A look whose two monotonic reads are further apart than this (preempted) is not used.</summary>
    public static readonly Duration MaxLookUncertainty = Duration.FromMicroseconds(200);

    /// <summary>Changes of CLOCK_REALTIME - CLOCK_MONOTONIC beyond the looks' uncertainty by more than this are steps.</summary>
    public static readonly Duration StepResolution = Duration.FromMicroseconds(10);

    private (Duration Value, Duration Uncertainty)? _lastLook;
    private bool _leapPending;

    public long Reads { get; private set; }
    public ClockError? LastError { get; private set; }

    /// <summary>Steps seen (leap seconds not counted).</summary>
    public long StepsSeen { get; private set; }

    /// <summary>Before each reading: frequency read-back and a look for a step since the last look.</summary>
    public void Observe()
    {
        var state = clock.ReadState();
        if (!state.IsOk)
        {
            LastError = state.Error;
        }
        else
        {
            LastError = null;
            Reads++;
            _leapPending = (state.Value.Status & (ClockStatus.InsertLeap | ClockStatus.DeleteLeap)) != 0;
            engine.OnKernelFrequency(clock.Now(), state.Value.FrequencyPpm);
        }
        SteppedSinceLastLook();
    }

    /// <summary>
    /// Looks at CLOCK_REALTIME - CLOCK_MONOTONIC: true when the clock was stepped (or a leap second was inserted or
    /// deleted) since the last look, so a reading taken in between may straddle it. A step is passed to the engine.
    /// </summary>
    public bool SteppedSinceLastLook()
    {
        if (clock.StepOffset() is not { } look || look.Uncertainty > MaxLookUncertainty)
            return false;
        var previous = _lastLook;
        _lastLook = look;
        if (previous is not { } p)
            return false;
        var step = look.Value - p.Value;
        if (step.Abs() <= p.Uncertainty + look.Uncertainty + StepResolution)
            return false;
        // The kernel's own leap second (armed by chronyd's leapsecmode system) moves UTC and the reference alike.
        var leap = _leapPending && (step.Abs() - Duration.FromSeconds(1)).Abs() <= Duration.FromMilliseconds(1);
        if (!leap)
        {
            StepsSeen++;
            engine.OnKernelStep(clock.Now(), step);
        }
        return true;
    }
}
