using Sync.Filters.Time;

namespace Sync.Filters.Selection;

/// <summary>
/// Measures a wide path's asymmetry against a narrower path to the same host time. Each update gives one pair:
/// the wide path's uncalibrated offset and the narrow path's (calibrated) offset with its allowance, both for the
/// same moment. The correction is the mean difference over the last <see cref="Window"/> pairs; the allowance is
/// what the truth can still be away from it: the narrow path's widest allowance (its own asymmetry), plus three
/// standard errors of the mean, plus the difference between the window's older and newer halves (a bias that
/// moves). Until <see cref="MinPairs"/> pairs there is no calibration. Pure.
/// </summary>
public sealed class PathCalibration(int window = PathCalibration.DefaultWindow, int minPairs = PathCalibration.DefaultMinPairs)
{
    public const int DefaultWindow = 256;
    public const int DefaultMinPairs = 16;

    private readonly Queue<(long DifferenceNs, long NarrowAllowanceNs)> _pairs = new();

    public int Window { get; } = Math.Max(2, window);
    public int MinPairs { get; } = Math.Max(2, minPairs);
    public int Count => _pairs.Count;

    /// <summary>One simultaneous pair of offsets (local - reference) from the wide and the narrow path.</summary>
    public void Add(Duration wideOffset, Duration narrowOffset, Duration narrowAllowance)
    {
        _pairs.Enqueue(((wideOffset - narrowOffset).Nanoseconds, narrowAllowance.Nanoseconds));
        while (_pairs.Count > Window)
            _pairs.Dequeue();
    }

    /// <summary>Forget the pairs (the path changed: a new device, another reading method).</summary>
    public void Reset() => _pairs.Clear();

    /// <summary>The measured calibration, or null until enough pairs.</summary>
    public SourceCalibration? Current
    {
        get
        {
            var n = _pairs.Count;
            if (n < MinPairs)
                return null;
            var differences = _pairs.Select(p => (double)p.DifferenceNs).ToArray();
            var mean = differences.Average();
            var variance = differences.Sum(d => (d - mean) * (d - mean)) / (n - 1);
            var standardError = Math.Sqrt(variance / n);
            var half = n / 2;
            var drift = Math.Abs(differences.Take(half).Average() - differences.Skip(half).Average());
            var narrowAllowance = _pairs.Max(p => p.NarrowAllowanceNs);
            var allowance = narrowAllowance + (long)Math.Ceiling(3 * standardError + drift);
            return new SourceCalibration(Duration.FromNanoseconds((long)Math.Round(mean)), Duration.FromNanoseconds(allowance));
        }
    }
}
