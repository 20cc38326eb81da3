namespace Sync.Filters.Estimation;

/// <summary>
/// How far the oscillator's frequency has been seen to move over a given time, measured from the estimator's own
/// frequency history, model-free. A random-walk wander learnt over the filter's short memory cannot know a slow,
/// persistent drift (a thermal cycle, aging) that only shows over many minutes, yet in a long holdover such a drift
/// moves the offset by D t^2 / 2 and dominates.
/// Every <see cref="Spacing"/> seconds (or every read, when slower) the estimated frequency and its variance are kept,
/// in a frame free of the engine's own steering. For each lag of 2^k kept points, g_k is the largest change of
/// frequency over that lag in the kept history (<see cref="Capacity"/> points), taken to happen over the shortest
/// time any pair of that lag spans (a pair across an outage spans more), as estimated (the estimates are
/// smooth: their noise adds little to a change, and what it adds errs wide); g is made non-decreasing in the lag. <see cref="OffsetExcursionNs"/>(t) integrates it:
/// the offset a frequency moving at most g(s) after s seconds can gather, int_0^t g(s) ds, with g taken at the next
/// longer measured lag, and beyond the longest one growing in proportion to the lag (a persistent drift, the
/// worst that stays plausible). For a random walk this is about the wander model's own 3.5 sd; for a drift it is
/// D t^2 / 2 to 2/3 D t^2. At a discontinuity the points are dropped (a rate change is no drift) but what they showed
/// is kept (<see cref="Restart"/>): the oscillator did not change. Pure arithmetic.
/// </summary>
public sealed class FrequencyDrift
{
    /// <summary>Points kept: at 4 s spacing, about 68 minutes of history (longer at slower reads).</summary>
    public const int Capacity = 1024;

    /// <summary>Lags of 1, 2, 4 .. 512 points.</summary>
    private const int Lags = 10;

    private readonly (long TimeNs, double FreqNsPerS, double VarianceNs2PerS2)[] _points = new (long, double, double)[Capacity];
    private readonly double[,] _changes = new double[Capacity, Lags];
    private readonly double[,] _lagsS = new double[Capacity, Lags];
    private readonly double[] _g = new double[Lags], _lagS = new double[Lags];
    /// <summary>What earlier histories showed (before a <see cref="Restart"/>): per lag the largest change and the lag.</summary>
    private readonly double[] _keptG = new double[Lags], _keptLagS = new double[Lags];
    private readonly double[] _envelopeG = new double[Lags], _envelopeLagS = new double[Lags];
    private int _start, _count, _measuredLags, _keptLags, _envelopeLags;
    private double _frameNsPerS;

    /// <param name="spacingS">Seconds between kept points (each read, when reads are slower).</param>
    public FrequencyDrift(double spacingS) => Spacing = spacingS;

    public double Spacing { get; }

    public int Count => _count;

    /// <summary>The largest frequency change seen over the longest measured lag, ns/s (0 before two points), this
    /// history and those before a <see cref="Restart"/>.</summary>
    public double LongestChangeNsPerS => _envelopeLags == 0 ? 0 : _envelopeG[_envelopeLags - 1];

    /// <summary>The longest measured lag, s (0 before two points).</summary>
    public double LongestLagS => _envelopeLags == 0 ? 0 : _envelopeLagS[_envelopeLags - 1];

    /// <summary>Offers the estimate at timeNs; kept when at least <see cref="Spacing"/> after the last kept one.</summary>
    public void Add(long timeNs, double freqNsPerS, double varianceNs2PerS2)
    {
        if (_count > 0 && timeNs - At(_count - 1).TimeNs < Spacing * 1e9) return;
        if (_count == Capacity)
        {
            _start = (_start + 1) % Capacity;
            _count--;
        }
        int index = (_start + _count) % Capacity;
        _points[index] = (timeNs, freqNsPerS - _frameNsPerS, Math.Max(0, varianceNs2PerS2));
        _count++;
        // The new point against the points 1, 2, 4, ... before it.
        var p = _points[index];
        for (int k = 0, lag = 1; k < Lags; k++, lag *= 2)
        {
            _changes[index, k] = 0;
            _lagsS[index, k] = 0;
            if (lag >= _count) continue;
            var old = At(_count - 1 - lag);
            _lagsS[index, k] = (timeNs - old.TimeNs) / 1e9;
            _changes[index, k] = Math.Abs(p.FreqNsPerS - old.FreqNsPerS);
        }
        _measuredLags = 0;
        for (int k = 0; k < Lags; k++)
        {
            // The lag a bucket stands for is the SHORTEST among its pairs: a pair across a gap in the points (an
            // outage) spans far more time than the others; taking its lag for the bucket's would stretch every change
            // in it over that longer time (world 2-258: after a 32 s outage the 5 s changes were read as 35 s ones
            // and a 243 s holdover missed by 1.27x). The shortest errs wide: each change counts from an earlier lag.
            double g = 0, lagS = double.PositiveInfinity;
            for (int i = 0; i < _count; i++)
            {
                int j = (_start + i) % Capacity;
                if (_lagsS[j, k] <= 0) continue;
                g = Math.Max(g, _changes[j, k]);
                lagS = Math.Min(lagS, _lagsS[j, k]);
            }
            if (double.IsPositiveInfinity(lagS)) break;
            _g[k] = Math.Max(g, k > 0 ? _g[k - 1] : 0);
            _lagS[k] = Math.Max(lagS, k > 0 ? _lagS[k - 1] : 0);
            _measuredLags = k + 1;
        }
        Merge();
    }

    /// <summary>The envelope: per lag the larger of this history's change and what earlier ones kept.</summary>
    private void Merge()
    {
        _envelopeLags = Math.Max(_measuredLags, _keptLags);
        for (int k = 0; k < _envelopeLags; k++)
        {
            _envelopeG[k] = Math.Max(k < _measuredLags ? _g[k] : 0, k < _keptLags ? _keptG[k] : 0);
            _envelopeLagS[k] = k < _measuredLags && k < _keptLags ? Math.Min(_lagS[k], _keptLagS[k])
                : k < _measuredLags ? _lagS[k] : _keptLagS[k];
            if (k > 0)
            {
                _envelopeG[k] = Math.Max(_envelopeG[k], _envelopeG[k - 1]);
                _envelopeLagS[k] = Math.Max(_envelopeLagS[k], _envelopeLagS[k - 1]);
            }
        }
    }

    /// <summary>
    /// The most the offset can move in t seconds through the frequency moving as it has been seen to (ns):
    /// int_0^t g(s) ds, g a step function up to the longest measured lag, then growing in proportion to s.
    /// </summary>
    public double OffsetExcursionNs(double tS)
    {
        if (!(tS > 0) || _envelopeLags == 0) return 0;
        double sum = 0, from = 0;
        for (int k = 0; k < _envelopeLags && from < tS; k++)
        {
            double to = Math.Min(tS, _envelopeLagS[k]);
            if (to > from) sum += _envelopeG[k] * (to - from);
            from = Math.Max(from, to);
        }
        double longestS = _envelopeLagS[_envelopeLags - 1], longest = _envelopeG[_envelopeLags - 1];
        if (tS > longestS && longestS > 0) sum += longest * (tS * tS - longestS * longestS) / (2 * longestS);
        return sum;
    }

    /// <summary>The clock's frequency was changed by the engine (the frame moved by freqNsPerS): what is kept is in a
    /// frame that does not move, so the engine's own steering is no drift.</summary>
    public void Shift(double freqNsPerS) => _frameNsPerS += freqNsPerS;

    /// <summary>Forget everything, what earlier histories showed too.</summary>
    public void Reset()
    {
        _start = _count = _measuredLags = _keptLags = _envelopeLags = 0;
    }

    /// <summary>
    /// The clock jumped (a step, a rate change of the reference): the history's frequencies are no longer comparable
    /// with the next ones, so the points are dropped, but what they showed the oscillator do is kept: a served step
    /// or rate change does not change the oscillator, and a holdover soon after the restart must still be covered by
    /// the drift seen before it.
    /// </summary>
    public void Restart()
    {
        for (int k = 0; k < _envelopeLags; k++)
        {
            _keptG[k] = _envelopeG[k];
            _keptLagS[k] = _envelopeLagS[k];
        }
        _keptLags = _envelopeLags;
        _start = _count = _measuredLags = 0;
        Merge();
    }

    private (long TimeNs, double FreqNsPerS, double VarianceNs2PerS2) At(int i) => _points[(_start + i) % Capacity];
}
