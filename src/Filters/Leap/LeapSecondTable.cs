using Sync.Filters.Time;

namespace Sync.Filters.Leap;

/// <summary>
/// TAI - UTC over time, from a leap-seconds.list file or the embedded copy. Past its expiry the future is
/// unknown: conversions still answer with the last known offset, and IsExpiredAt says so.
/// </summary>
/// <remarks>
/// <para>UTC here is POSIX UTC (CLOCK_REALTIME): every day has 86400 counted seconds. Around a leap second
/// at Effective (a UTC midnight) with TAI - UTC going from o to n:</para>
/// <list type="bullet">
/// <item>Inserted second (n = o + 1): the TAI second [Effective + o, Effective + n) is 23:59:60. POSIX UTC
/// repeats 23:59:59 for it, as the Linux kernel does: <see cref="ToUtc"/> maps it to [Effective - 1 s,
/// Effective) using the new offset, so those UTC values occur twice. <see cref="ToTai"/> of such a UTC value
/// answers the first occurrence (the old offset applies to every UTC instant before Effective).</item>
/// <item>Deleted second (n = o - 1): UTC [Effective - 1 s, Effective) (23:59:59) never happens. <see cref="ToTai"/>
/// still maps it with the old offset (onto the same TAI second as 00:00:00), and no TAI instant maps to it.</item>
/// </list>
/// <para>ToUtc(ToTai(u)) == u for every UTC instant that exists; ToTai(ToUtc(t)) == t except inside an
/// inserted second, which comes back 1 s early. Before the first entry (1972 in the real table) the first
/// entry's offset is used: pre-1972 UTC with its rubber seconds is not modelled.</para>
/// </remarks>
public sealed partial class LeapSecondTable
{
    private static readonly TimeSpan SimulatedLeapValidity = TimeSpan.FromDays(28);

    private readonly LeapSecond[] _entries;
    private readonly LeapTransition[] _transitions;

    /// <param name="entries">In increasing time order, each effective at a UTC midnight, consecutive offsets
    /// differing by exactly 1.</param>
    /// <param name="expires">When the table stops being authoritative; null: never (synthetic tables).</param>
    /// <exception cref="ArgumentException">The entries break one of these rules (parsed files never do: the
    /// parser checks them and reports an error instead).</exception>
    public LeapSecondTable(IReadOnlyList<LeapSecond> entries, Instant<Utc>? expires)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = [.. entries];
        var transitions = new List<LeapTransition>(_entries.Length);
        for (var i = 0; i < _entries.Length; i++)
        {
            var entry = _entries[i];
            if (entry.Effective.Nanoseconds % NanosecondsPerDay != 0)
                throw new ArgumentException($"entry {i}: {entry.Effective} is not a UTC midnight", nameof(entries));
            if (i == 0)
                continue;
            var previous = _entries[i - 1];
            if (entry.Effective <= previous.Effective)
                throw new ArgumentException($"entry {i}: entries must be in increasing time order", nameof(entries));
            if (Math.Abs(entry.TaiMinusUtcSeconds - previous.TaiMinusUtcSeconds) != 1)
                throw new ArgumentException(
                    $"entry {i}: TAI-UTC changes from {previous.TaiMinusUtcSeconds} to {entry.TaiMinusUtcSeconds}; a leap second changes it by 1",
                    nameof(entries));
            transitions.Add(new LeapTransition(entry.Effective, previous.TaiMinusUtcSeconds, entry.TaiMinusUtcSeconds));
        }
        _transitions = [.. transitions];
        Expires = expires;
    }

    private const long NanosecondsPerDay = 86_400L * Duration.NanosecondsPerSecond;

    public IReadOnlyList<LeapSecond> Entries => _entries;

    /// <summary>The leap seconds as events (every entry after the first, which only sets the starting offset).</summary>
    public IReadOnlyList<LeapTransition> Transitions => _transitions;

    public Instant<Utc>? Expires { get; }

    /// <summary>TAI - UTC before the first transition (0 for an empty table).</summary>
    public int InitialTaiMinusUtc => _entries.Length == 0 ? 0 : _entries[0].TaiMinusUtcSeconds;

    /// <summary>The table expires at Expires; a table without expiry never does.</summary>
    public bool IsExpiredAt(Instant<Utc> utc) => Expires is { } expires && utc >= expires;

    /// <summary>TAI - UTC in force at UTC instant utc (the old offset for every instant before Effective).</summary>
    public int TaiMinusUtcAt(Instant<Utc> utc)
    {
        var i = LastIndexAtOrBefore(utc.Nanoseconds, static t => t.Effective.Nanoseconds);
        return i < 0 ? InitialTaiMinusUtc : _transitions[i].TaiMinusUtcAfter;
    }

    /// <summary>TAI - UTC in force at TAI instant tai (the new offset from <see cref="LeapTransition.SwitchTai"/> on).</summary>
    public int TaiMinusUtcAt(Instant<Tai> tai)
    {
        var i = LastIndexAtOrBefore(tai.Nanoseconds, static t => t.SwitchTai.Nanoseconds);
        return i < 0 ? InitialTaiMinusUtc : _transitions[i].TaiMinusUtcAfter;
    }

    public Instant<Tai> ToTai(Instant<Utc> utc) =>
        new(utc.Nanoseconds + TaiMinusUtcAt(utc) * Duration.NanosecondsPerSecond);

    public Instant<Utc> ToUtc(Instant<Tai> tai) =>
        new(tai.Nanoseconds - TaiMinusUtcAt(tai) * Duration.NanosecondsPerSecond);

    /// <summary>The first leap second taking effect strictly after utc, or null if the table knows none.</summary>
    public LeapSecond? NextAfter(Instant<Utc> utc) =>
        NextTransitionAfter(utc) is { } t ? new LeapSecond(t.Effective, t.TaiMinusUtcAfter) : null;

    /// <summary>The first transition with Effective strictly after utc, or null.</summary>
    public LeapTransition? NextTransitionAfter(Instant<Utc> utc)
    {
        var i = LastIndexAtOrBefore(utc.Nanoseconds, static t => t.Effective.Nanoseconds) + 1;
        return i < _transitions.Length ? _transitions[i] : null;
    }

    /// <summary>The last transition with Effective at or before utc, or null.</summary>
    public LeapTransition? LastTransitionAtOrBefore(Instant<Utc> utc)
    {
        var i = LastIndexAtOrBefore(utc.Nanoseconds, static t => t.Effective.Nanoseconds);
        return i >= 0 ? _transitions[i] : null;
    }

    /// <summary>
    /// A copy with one more leap second (positive or negative) at the end of the UTC day before effective, for
    /// simulations. effective must be a UTC midnight after every existing entry; change must be +1 or -1. If the
    /// table would expire before the new leap has been in force for 28 days, the copy expires 28 days after it.
    /// </summary>
    public LeapSecondTable WithLeap(Instant<Utc> effective, int change)
    {
        if (change is not (1 or -1))
            throw new ArgumentOutOfRangeException(nameof(change), change, "a leap second changes TAI - UTC by +1 or -1");
        if (effective.Nanoseconds % NanosecondsPerDay != 0)
            throw new ArgumentException($"{effective} is not a UTC midnight", nameof(effective));
        if (_entries.Length > 0 && effective <= _entries[^1].Effective)
            throw new ArgumentException(
                $"a simulated leap must come after the table's last entry ({LeapSecondListParser.FormatDate(_entries[^1].Effective)})",
                nameof(effective));

        var currentOffset = _entries.Length == 0 ? 0 : _entries[^1].TaiMinusUtcSeconds;
        var minimumExpiry = effective + new Duration(SimulatedLeapValidity.Ticks * 100);
        var expires = Expires is { } e && e < minimumExpiry ? minimumExpiry : Expires;
        return new LeapSecondTable([.. _entries, new LeapSecond(effective, currentOffset + change)], expires);
    }

    /// <summary>Index of the last transition whose key is at or before value, -1 if none.</summary>
    private int LastIndexAtOrBefore(long value, Func<LeapTransition, long> key)
    {
        int lo = 0, hi = _transitions.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (key(_transitions[mid]) <= value) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }
}
