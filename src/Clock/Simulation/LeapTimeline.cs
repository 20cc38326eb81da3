using Sync.Filters.Leap;

namespace Sync.Clock.Simulation;

/// <summary>
/// TAI &lt;-&gt; POSIX UTC the way a Linux clock shows it, from a leap-second table: during an inserted leap second
/// the UTC count repeats 23:59:59 (the clock steps back 1 s at midnight); a deleted second is skipped
/// (23:59:58 -&gt; 00:00:00). Precomputed switch points make a conversion a short search with no allocation.
/// </summary>
internal sealed class LeapTimeline
{
    private const long NsPerSecond = 1_000_000_000L;

    // TAI instants (ns) from which offsetSeconds[i] applies to TAI -> UTC.
    private readonly long[] _switchTaiNs;
    private readonly int[] _offsetSeconds;
    private readonly long[] _effectiveUtcNs;

    public LeapTimeline(LeapSecondTable table)
    {
        var entries = table.Entries;
        var count = entries.Count;
        _switchTaiNs = new long[count];
        _offsetSeconds = new int[count];
        _effectiveUtcNs = new long[count];
        for (var i = 0; i < count; i++)
        {
            var offset = entries[i].TaiMinusUtcSeconds;
            var previous = i == 0 ? offset : entries[i - 1].TaiMinusUtcSeconds;
            var effective = entries[i].Effective.Nanoseconds;
            _effectiveUtcNs[i] = effective;
            _offsetSeconds[i] = offset;
            _switchTaiNs[i] = effective + Math.Min(previous, offset) * NsPerSecond;
        }
    }

    /// <summary>TAI - UTC (s) that maps TAI instant taiNs to the UTC a Linux clock shows.</summary>
    public int OffsetSecondsAtTai(long taiNs)
    {
        if (_offsetSeconds.Length == 0) return 0;
        var i = _switchTaiNs.Length - 1;
        while (i > 0 && taiNs < _switchTaiNs[i]) i--;
        return _offsetSeconds[i];
    }

    public long TaiToUtcNs(long taiNs) => taiNs - OffsetSecondsAtTai(taiNs) * NsPerSecond;

    /// <summary>TAI of a UTC instant (the first one, where an inserted leap second makes UTC ambiguous).</summary>
    public long UtcToTaiNs(long utcNs)
    {
        if (_offsetSeconds.Length == 0) return utcNs;
        var i = _effectiveUtcNs.Length - 1;
        while (i > 0 && utcNs < _effectiveUtcNs[i]) i--;
        return utcNs + _offsetSeconds[i] * NsPerSecond;
    }
}
