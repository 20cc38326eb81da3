using Sync.Filters.Time;

namespace Sync.Filters.Selection;

/// <summary>
/// One source's say about the local clock's true offset in one update: Offset (local - reference, calibrated)
/// within +- HalfWidth (its asymmetry allowance plus its noise). Preference orders ties (lower = preferred).
/// </summary>
public readonly record struct SourceInterval(string Id, Duration Offset, Duration HalfWidth, int Preference)
{
    public Duration Low => Offset - HalfWidth;
    public Duration High => Offset + HalfWidth;
}
