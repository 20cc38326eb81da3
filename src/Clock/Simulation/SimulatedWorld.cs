using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Clock.Simulation;

/// <summary>
/// Virtual true time for a simulation: TAI nanoseconds since 1970, with true UTC derived through a
/// leap-second table. The current instant is what every simulated clock reads ("the instant being
/// evaluated"); it only moves when the runner (or a simulated PHC taking a reading) advances it, and never
/// backwards. Scheduled events fire when time reaches them, in order, with the instant set to the event's time.
/// </summary>
public sealed class SimulatedWorld
{
    private readonly LeapTimeline _timeline;
    private readonly List<(ScheduledEvent Event, Action? Apply)> _pending = [];
    private readonly List<ScheduledEvent> _all = [];
    private readonly List<ScheduledEvent> _fired = [];
    private int _nextPending;
    private bool _pendingSorted = true;

    public SimulatedWorld(Instant<Tai> start, LeapSecondTable leapTable)
    {
        LeapTable = leapTable;
        _timeline = new LeapTimeline(leapTable);
        StartTrueNs = start.Nanoseconds;
        TrueNs = start.Nanoseconds;
    }

    /// <summary>A world starting at the given true UTC instant.</summary>
    public static SimulatedWorld StartingAtUtc(Instant<Utc> startUtc, LeapSecondTable leapTable) =>
        new(new Instant<Tai>(new LeapTimeline(leapTable).UtcToTaiNs(startUtc.Nanoseconds)), leapTable);

    public LeapSecondTable LeapTable { get; }
    public long StartTrueNs { get; }

    /// <summary>The instant being evaluated, TAI ns since 1970.</summary>
    public long TrueNs { get; private set; }

    public long ElapsedNs => TrueNs - StartTrueNs;
    public Instant<Tai> TrueTaiNow => new(TrueNs);

    /// <summary>True UTC as a Linux clock would show it (an inserted leap second repeats 23:59:59).</summary>
    public Instant<Utc> TrueUtcNow => new(_timeline.TaiToUtcNs(TrueNs));

    public long TrueUtcNsAt(long trueNs) => _timeline.TaiToUtcNs(trueNs);
    public long TrueNsOfUtc(Instant<Utc> utc) => _timeline.UtcToTaiNs(utc.Nanoseconds);
    public int TaiMinusUtcSecondsAt(long trueNs) => _timeline.OffsetSecondsAtTai(trueNs);

    /// <summary>Every scheduled event, in time order (for reports).</summary>
    public IReadOnlyList<ScheduledEvent> Events
    {
        get
        {
            _all.Sort(static (a, b) => a.AtTrueNs.CompareTo(b.AtTrueNs));
            return _all;
        }
    }

    /// <summary>The events that have fired so far, in order.</summary>
    public IReadOnlyList<ScheduledEvent> FiredEvents => _fired;

    /// <summary>Schedule an event; apply (if any) runs when time reaches atTrueNs, with TrueNs == atTrueNs.</summary>
    public ScheduledEvent Schedule(long atTrueNs, string kind, string description, Action? apply = null)
    {
        if (atTrueNs < TrueNs)
            throw new InvalidOperationException($"cannot schedule '{kind}' at {atTrueNs} ns: the world is already at {TrueNs} ns");
        var scheduled = new ScheduledEvent(atTrueNs, atTrueNs - StartTrueNs, kind, description);
        _all.Add(scheduled);
        _pending.Add((scheduled, apply));
        _pendingSorted = false;
        return scheduled;
    }

    /// <summary>Move the evaluated instant to trueNs, firing due events on the way. Earlier times are ignored.</summary>
    public void AdvanceTo(long trueNs)
    {
        if (trueNs <= TrueNs)
        {
            FireDue(TrueNs);
            return;
        }
        FireDue(trueNs);
        TrueNs = trueNs;
    }

    public void AdvanceBy(long ns) => AdvanceTo(TrueNs + Math.Max(0, ns));

    private void FireDue(long untilNs)
    {
        if (!_pendingSorted)
        {
            // Keep fired ones where they are; sort only what is still pending (stable by time).
            var rest = _pending.GetRange(_nextPending, _pending.Count - _nextPending);
            rest.Sort(static (a, b) => a.Event.AtTrueNs.CompareTo(b.Event.AtTrueNs));
            _pending.RemoveRange(_nextPending, _pending.Count - _nextPending);
            _pending.AddRange(rest);
            _pendingSorted = true;
        }
        while (_nextPending < _pending.Count && _pending[_nextPending].Event.AtTrueNs <= untilNs)
        {
            var (scheduled, apply) = _pending[_nextPending++];
            if (scheduled.AtTrueNs > TrueNs) TrueNs = scheduled.AtTrueNs;
            _fired.Add(scheduled);
            apply?.Invoke();
        }
    }
}
