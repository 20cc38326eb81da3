using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>The RMS of the last <see cref="Window"/> filtered samples' offsets, as the snapshot shows it.</summary>
internal sealed class OffsetRms
{
    public const int Window = 64;

    private readonly Queue<double> _recentNs = new();

    public void Add(Duration offset)
    {
        _recentNs.Enqueue(offset.Nanoseconds);
        if (_recentNs.Count > Window)
            _recentNs.Dequeue();
    }

    public Duration Value => Duration.FromNanoseconds((long)(_recentNs.Count == 0 ? 0 : Math.Sqrt(_recentNs.Average(x => x * x))));
}
