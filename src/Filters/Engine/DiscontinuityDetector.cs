using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// Notices a step or frequency jump (live migration, a stepped reference): a run of consecutive samples that
/// all miss the estimator's prediction by far more than their combined uncertainty, on the same side.
/// </summary>
public sealed class DiscontinuityDetector
{
    public const double SigmaThreshold = 8;
    public const int ConsecutiveSamples = 2;

    private readonly Duration _floor;
    private int _run;
    private int _runSign;

    public DiscontinuityDetector(Duration floor) => _floor = floor;

    /// <summary>True when this sample completes a run of misses: the caller should reset the estimator.</summary>
    public bool IsDiscontinuity(OffsetSample sample, ClockEstimate? prediction, out bool isMiss)
    {
        isMiss = false;
        if (prediction is null)
        {
            _run = 0;
            return false;
        }
        var miss = (sample.Offset - prediction.Offset).Nanoseconds;
        var sigma = Math.Sqrt(Square(prediction.OffsetStdDev.Nanoseconds) + Square(sample.Error.Nanoseconds));
        var limit = Math.Max(SigmaThreshold * sigma, Math.Max(_floor.Nanoseconds, prediction.ErrorBound.Nanoseconds + sample.Error.Nanoseconds));
        if (Math.Abs(miss) <= limit)
        {
            _run = 0;
            return false;
        }
        isMiss = true;
        var sign = Math.Sign(miss);
        _run = sign == _runSign ? _run + 1 : 1;
        _runSign = sign;
        if (_run < ConsecutiveSamples)
            return false;
        _run = 0;
        return true;
    }

    public void Clear() => _run = 0;

    private static double Square(double x) => x * x;
}
