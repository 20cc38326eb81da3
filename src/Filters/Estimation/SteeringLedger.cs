using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>
/// De-steering bookkeeping shared by the estimators: the local-clock adjustments announced since the newest
/// stored sample. C(t) = sum over adjustments at or before t of (step + frequency change x elapsed) is the
/// correction phase the discipline added; an estimator subtracts it to see the free-running clock and adds it
/// back when it reports. Folding at the time of a new sample moves the history into the clock's current frame
/// and forgets those adjustments, so the numbers stay small however long the daemon runs.
/// </summary>
internal sealed class SteeringLedger
{
    private readonly List<LocalClockAdjustment> _pending = [];

    public int PendingCount => _pending.Count;

    public void Add(LocalClockAdjustment adjustment) => _pending.Add(adjustment);

    public void Clear() => _pending.Clear();

    /// <summary>C(t) in ns: steps plus integrated frequency changes of adjustments at or before t.</summary>
    public double PhaseNs(Instant<Utc> t)
    {
        long stepsNs = 0;
        double slewNs = 0;
        foreach (var a in _pending)
        {
            if (a.At > t) continue;
            stepsNs += a.Step.Nanoseconds;
            slewNs += a.FrequencyChangePpm * 1e-6 * (t - a.At).Nanoseconds;
        }
        return stepsNs + slewNs;
    }

    /// <summary>Sum of the steps at or before t (they also move the local time axis).</summary>
    public long StepsNs(Instant<Utc> t)
    {
        long stepsNs = 0;
        foreach (var a in _pending)
            if (a.At <= t) stepsNs += a.Step.Nanoseconds;
        return stepsNs;
    }

    /// <summary>Sum of the frequency changes at or before t, in ppm.</summary>
    public double FrequencyPpm(Instant<Utc> t)
    {
        double ppm = 0;
        foreach (var a in _pending)
            if (a.At <= t) ppm += a.FrequencyChangePpm;
        return ppm;
    }

    /// <summary>Forget the adjustments at or before t (call after the history was moved into t's frame).</summary>
    public void FoldUpTo(Instant<Utc> t) => _pending.RemoveAll(a => a.At <= t);
}
