namespace Sync.Filters.Estimation;

/// <summary>
/// The measurement noise measured from the samples themselves, free of any clock model: the third difference of
/// evenly spaced offsets, d3 = z3 - 3 z2 + 3 z1 - z0, cancels offset, frequency and a constant frequency drift,
/// leaving E[d3^2] = sum c_i^2 R_i + q tau^3 (c = 1, -3, 3, -1) for white measurement noise R_i and frequency
/// wander q at spacing tau. With R_i = scale x b_i (b_i: the variance a sample's Error states), the ratio of the
/// running means of d3^2 and sum c_i^2 b_i estimates the scale, never below the truth (the wander only adds),
/// and close to it wherever the wander moves the clock less than the noise over three read intervals.
/// A sample's Error (a delay half-width, a worst case) may claim far more noise than the readings show, or a
/// cross-timestamp less: this learns it in tens of samples, where the innovations need thousands when the wander
/// dominates them. One difference counts at most <see cref="WinsorFactor"/> x the current estimate, so a kink
/// (a rate change) cannot inflate it.
/// The samples must be in one frame: the owner moves them when the clock is steered (<see cref="Shift"/>).
/// Pure arithmetic.
/// </summary>
public sealed class ThirdDifferenceNoise
{
    /// <summary>Spacings may differ by this fraction and still count as even.</summary>
    private const double EvenSpacingTolerance = 0.1;

    private readonly double _rate;
    /// <summary>One third difference counts at most this many times the expected square.</summary>
    private const double WinsorFactor = 9;

    private readonly List<(long TimeNs, double OffsetNs, double BaseVarianceNs2)> _recent = new(4);
    private double _meanSquareNs2, _meanBaseNs2;

    /// <param name="rate">Weight of one third difference in the running mean once 1/rate have been seen.</param>
    public ThirdDifferenceNoise(double rate) => _rate = rate;

    /// <summary>Third differences averaged so far.</summary>
    public int Count { get; private set; }

    /// <summary>Differences needed before <see cref="Scale"/> is given. Few: until then the noise is only what the
    /// innovations say, and where the wander dominates them that can be hundreds of times too low (a cross-timestamp
    /// whose Error states 1 ns read every 40 s with 18 ns of scatter published 4 ns bounds for 35 reads); a few
    /// differences with the margin of <see cref="ScaleWithMargin"/> are far closer.</summary>
    public const int MinCount = 8;

    /// <summary>The measurement-noise scale: actual variance over the variance the samples' Error states (null
    /// before <see cref="MinCount"/> differences).</summary>
    public double? Scale => Count >= MinCount && _meanBaseNs2 > 0 ? _meanSquareNs2 / _meanBaseNs2 : null;

    /// <summary>
    /// <see cref="Scale"/> raised by sigmas of its own scatter: consecutive differences share three samples, so about
    /// one in 3.5 counts as independent, and the mean square of n independent Gaussian ones is chi^2_n / n. The scale
    /// is divided by that ratio's value sigmas below its mean (Wilson-Hilferty: (1 - a - sigmas sqrt a)^3, a = 2 / 9n),
    /// which for many differences is about 1 + sigmas sqrt(2 / n) and for few grows as their skewed scatter needs
    /// (8 differences: x2.4 at 0.5 sigmas). A noise level learnt a little high costs a little averaging; learnt low,
    /// it makes the bound miss.
    /// </summary>
    public double? ScaleWithMargin(double sigmas)
    {
        if (Scale is not { } scale) return null;
        double independent = Math.Min(Count, 1 / _rate) / 3.5;
        double a = 2 / (9 * independent);
        double low = 1 - a - sigmas * Math.Sqrt(a);
        return scale / Math.Max(low * low * low, MinMarginRatio);
    }

    /// <summary>The margin never divides by less than this (at most x20).</summary>
    private const double MinMarginRatio = 0.05;

    /// <summary>Adds one sample (in the current frame) with the variance its Error states.</summary>
    public void Add(long timeNs, double offsetNs, double baseVarianceNs2)
    {
        _recent.Add((timeNs, offsetNs, baseVarianceNs2));
        if (_recent.Count > 4) _recent.RemoveAt(0);
        if (_recent.Count < 4) return;
        double s1 = _recent[1].TimeNs - _recent[0].TimeNs, s2 = _recent[2].TimeNs - _recent[1].TimeNs, s3 = _recent[3].TimeNs - _recent[2].TimeNs;
        double mean = (s1 + s2 + s3) / 3;
        if (!(mean > 0) || Math.Abs(s1 - mean) > EvenSpacingTolerance * mean || Math.Abs(s2 - mean) > EvenSpacingTolerance * mean
            || Math.Abs(s3 - mean) > EvenSpacingTolerance * mean)
            return;
        double d3 = _recent[3].OffsetNs - 3 * _recent[2].OffsetNs + 3 * _recent[1].OffsetNs - _recent[0].OffsetNs;
        double baseNs2 = _recent[0].BaseVarianceNs2 + 9 * _recent[1].BaseVarianceNs2 + 9 * _recent[2].BaseVarianceNs2 + _recent[3].BaseVarianceNs2;
        double square = d3 * d3;
        if (Count >= MinCount && _meanBaseNs2 > 0) square = Math.Min(square, WinsorFactor * _meanSquareNs2 / _meanBaseNs2 * baseNs2);
        Count++;
        double rate = Math.Max(_rate, 1.0 / Count);
        _meanSquareNs2 = (1 - rate) * _meanSquareNs2 + rate * square;
        _meanBaseNs2 = (1 - rate) * _meanBaseNs2 + rate * baseNs2;
    }

    /// <summary>The clock was steered: shift(timeNs) gives each stored sample's new (time, offset delta).</summary>
    public void Shift(Func<long, (long TimeShiftNs, double OffsetShiftNs)> shift)
    {
        for (int i = 0; i < _recent.Count; i++)
        {
            var (dt, dz) = shift(_recent[i].TimeNs);
            _recent[i] = (_recent[i].TimeNs + dt, _recent[i].OffsetNs + dz, _recent[i].BaseVarianceNs2);
        }
    }

    /// <summary>Forget the recent samples (a discontinuity), keeping what was learnt.</summary>
    public void Restart() => _recent.Clear();

    public void Reset()
    {
        _recent.Clear();
        _meanSquareNs2 = _meanBaseNs2 = 0;
        Count = 0;
    }
}
