using Sync.Clock.Abstractions;
using Sync.Filters.Engine;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// Observe mode's eye on the clock (chrony refclock agent, `--dry-run`): before each reading, reads the system
/// clock's kernel state back (clock_adjtime with modes 0, never a write) and hands its frequency correction to the
/// engine, which tells its estimator of every change someone else (chronyd) made. Steps are not visible here; the
/// estimator detects them as discontinuities.
/// </summary>
public sealed class ClockObserver(ISystemClock clock, SyncEngine engine)
{
    public long Reads { get; private set; }
    public ClockError? LastError { get; private set; }

    public void Observe()
    {
        var state = clock.ReadState();
        if (!state.IsOk)
        {
            LastError = state.Error;
            return;
        }
        LastError = null;
        Reads++;
        engine.OnKernelFrequency(clock.Now(), state.Value.FrequencyPpm);
    }
}
