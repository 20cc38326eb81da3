using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>
/// Detects steps and frequency jumps of the measured offset: a sample whose deviation from the prediction exceeds
/// ThresholdSigmas x the predicted standard deviation is an outlier; ConsecutiveSamples outliers of one sign in a
/// row are a discontinuity (ConsecutiveMixedSamples of any sign: Unclassified). The run is classified by a line
/// through its deviations: if that line reaches zero within about one sample interval before the run began, the
/// frequency jumped; otherwise the offset stepped. Pure logic: the caller supplies predictions.
/// </summary>
public sealed class ChangeDetector
{
    private readonly ChangeDetectorOptions _options;
    private readonly List<(Instant<Utc> At, double ResidualNs, double SdNs)> _run = [];
    private Instant<Utc>? _lastNormal;
    private long _lastIntervalNs;

    public ChangeDetector(ChangeDetectorOptions? options = null)
    {
        _options = options ?? new ChangeDetectorOptions();
        _options.Validate();
    }

    /// <summary>The most recent discontinuity found (kept until <see cref="Reset"/>).</summary>
    public Discontinuity? Last { get; private set; }

    /// <summary>Outliers in the current run.</summary>
    public int RunLength => _run.Count;

    /// <summary>Judges one sample: residualNs = sample offset - predicted offset, predictedSdNs = standard deviation
    /// of that difference under the model (prediction and measurement noise together).</summary>
    public ChangeVerdict Observe(Instant<Utc> at, double residualNs, double predictedSdNs)
    {
        if (!double.IsFinite(residualNs) || !(predictedSdNs > 0) || !double.IsFinite(predictedSdNs))
            return ChangeVerdict.Normal;
        if (Math.Abs(residualNs) <= _options.ThresholdSigmas * predictedSdNs)
        {
            if (_lastNormal is { } previous && at > previous) _lastIntervalNs = (at - previous).Nanoseconds;
            _lastNormal = at;
            _run.Clear();
            return ChangeVerdict.Normal;
        }

        _run.Add((at, residualNs, predictedSdNs));
        int sameSign = TrailingSameSignCount();
        if (sameSign >= _options.ConsecutiveSamples)
        {
            Last = Classify(_run.Count - sameSign);
            _run.Clear();
            return ChangeVerdict.Discontinuity;
        }
        if (_run.Count >= _options.ConsecutiveMixedSamples)
        {
            double meanNs = _run.Average(r => r.ResidualNs);
            Last = new Discontinuity(_run[0].At, DiscontinuityKind.Unclassified, Duration.FromNanoseconds((long)Math.Round(meanNs)), 0, _run.Count);
            _run.Clear();
            return ChangeVerdict.Discontinuity;
        }
        return ChangeVerdict.Outlier;
    }

    /// <summary>Forget the run and the last discontinuity (after the estimator was reset).</summary>
    public void Reset()
    {
        _run.Clear();
        _lastNormal = null;
        _lastIntervalNs = 0;
        Last = null;
    }

    /// <summary>A run's slope this many of its standard deviations from zero is a frequency change even when the
    /// run starts long after the change (a slow jump that took several samples to exceed the threshold).</summary>
    private const double SignificantSlopeSigmas = 4.0;

    private int TrailingSameSignCount()
    {
        int sign = Math.Sign(_run[^1].ResidualNs);
        int count = 0;
        for (int i = _run.Count - 1; i >= 0 && Math.Sign(_run[i].ResidualNs) == sign; i--) count++;
        return count;
    }

    private Discontinuity Classify(int first)
    {
        var run = _run.GetRange(first, _run.Count - first);
        var t1 = run[0].At;
        int n = run.Count;
        double meanNs = run.Average(r => r.ResidualNs);
        if (n >= 2)
        {
            // Least-squares line r = c + s (t - t1), times in seconds.
            double meanT = run.Average(r => (r.At - t1).Nanoseconds / 1e9);
            double sxx = 0, sxy = 0;
            foreach (var (at, residualNs, _) in run)
            {
                double dx = (at - t1).Nanoseconds / 1e9 - meanT;
                sxx += dx * dx;
                sxy += dx * (residualNs - meanNs);
            }
            if (sxx > 0)
            {
                double slopeNsPerS = sxy / sxx;
                double interceptNs = meanNs - slopeNsPerS * meanT;
                // Deviations that grow away from zero and reach zero shortly before the run: a frequency jump.
                bool grows = Math.Sign(slopeNsPerS) == Math.Sign(meanNs);
                double onsetBeforeS = grows ? interceptNs / slopeNsPerS : double.PositiveInfinity;
                double intervalS = (_lastIntervalNs > 0 ? _lastIntervalNs
                    : _lastNormal is { } last && t1 > last ? (t1 - last).Nanoseconds
                    : (run[^1].At - t1).Nanoseconds / Math.Max(1, n - 1)) / 1e9;
                double limitS = _options.FrequencyJumpOnsetIntervals * intervalS;
                double slopeSdNsPerS = run.Average(r => r.SdNs) / Math.Sqrt(sxx);
                bool onsetJustBefore = onsetBeforeS >= -0.5 * intervalS && onsetBeforeS <= limitS;
                bool slopeSignificant = n >= 3 && Math.Abs(slopeNsPerS) > SignificantSlopeSigmas * slopeSdNsPerS;
                if (grows && (onsetJustBefore || slopeSignificant))
                {
                    double stepAtLastNormalNs = interceptNs - slopeNsPerS * intervalS;
                    var step = onsetJustBefore ? Duration.Zero : Duration.FromNanoseconds((long)Math.Round(stepAtLastNormalNs));
                    return new Discontinuity(t1, DiscontinuityKind.FrequencyJump, step, slopeNsPerS / 1e3, n);
                }
            }
        }
        return new Discontinuity(t1, DiscontinuityKind.Step, Duration.FromNanoseconds((long)Math.Round(meanNs)), 0, n);
    }
}
