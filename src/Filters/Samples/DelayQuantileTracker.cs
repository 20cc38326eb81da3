namespace Sync.Filters.Samples;

/// <summary>
/// Running quantiles of sample delays over the most recent <see cref="Capacity"/> samples (across readings).
/// Deterministic: a sliding window with exact order statistics, where chrony uses a randomised stochastic
/// estimator; with the default window (16 readings of 25 samples) both follow the delay distribution within a
/// few readings.
/// </summary>
public sealed class DelayQuantileTracker
{
    public const int DefaultCapacity = 400;

    private readonly long[] _window;
    private readonly long[] _sorted;
    private int _count;
    private int _next;

    public DelayQuantileTracker(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _window = new long[capacity];
        _sorted = new long[capacity];
    }

    public int Capacity => _window.Length;
    public int Count => _count;

    public void Add(long delayNs)
    {
        _window[_next] = delayNs;
        _next = (_next + 1) % _window.Length;
        _count = Math.Min(_count + 1, _window.Length);
    }

    public void Reset() => _count = _next = 0;

    /// <summary>
    /// The q-quantile (0..1) of the delays held, by the nearest-rank rule (smallest delay with at least
    /// ceil(q * n) delays at or below it); 0 when empty.
    /// </summary>
    public long Quantile(double q)
    {
        if (_count == 0)
            return 0;
        var values = _sorted.AsSpan(0, _count);
        _window.AsSpan(0, _count).CopyTo(values);
        values.Sort();
        var rank = (int)Math.Ceiling(Math.Clamp(q, 0, 1) * _count);
        return values[Math.Clamp(rank - 1, 0, _count - 1)];
    }
}
