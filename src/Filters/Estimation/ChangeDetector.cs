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
        if (Math.Abs(residualNs) <= _options.ThresholdSigmas * predictedSdNs && !AgreesWithTheHeldSample(residualNs, predictedSdNs))
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
        if (_run.Count >= _options.ConsecutiveSamples && CrossingLine() is { } crossing)
        {
            Last = crossing;
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

    /// <summary>
    /// A sample inside the gate after one held sample may still be that sample's step seen again: the gate after a held
    /// sample is wider (the prediction reaches two reads ahead, and where the oscillator wanders a lot that widens it
    /// 2-3x), so a step's second sample can fall inside it and would be fitted as an ordinary measurement, its offset
    /// partly taken as a rate (random world 1-56: a 106 us step at 24 s reads, the second sample 4.1 sd off the
    /// prediction and 0.55 sd from the first: used, it put 3 ppm into the frequency and the clock was -79 us off a read
    /// later). It counts as deviating (and goes to <see cref="ChangeInRun"/>, which checks the pair as before) only where
    /// the widening alone let it in: it lies beyond ThresholdSigmas of the held sample's own (one-read) spread, as far as
    /// the held one had to be to be held, and beyond <see cref="FlatPairSigmas"/> of its own prediction, and it agrees
    /// with the held sample as a step pair does (within FlatPairSigmas of their combined spread, same side). Where the
    /// gate did not widen, no sample inside it passes (a Gaussian tail pair, 5.7 then 3.3 sd, stays normal).
    /// </summary>
    private bool AgreesWithTheHeldSample(double residualNs, double predictedSdNs)
    {
        if (_run.Count != 1) return false;
        var (_, heldNs, heldSdNs) = _run[0];
        if (Math.Sign(heldNs) != Math.Sign(residualNs)) return false;
        double absNs = Math.Abs(residualNs);
        if (absNs <= FlatPairSigmas * predictedSdNs || absNs <= _options.ThresholdSigmas * heldSdNs) return false;
        return Math.Abs(residualNs - heldNs) <= FlatPairSigmas * Math.Sqrt(predictedSdNs * predictedSdNs + heldSdNs * heldSdNs);
    }

    /// <summary>
    /// After a second deviating sample in a row (<see cref="Observe"/> said Outlier): whether the two already show
    /// what changed, before ConsecutiveSamples confirm a discontinuity. Two hypotheses each leave one thing to check
    /// with two samples, which a pair of outliers of random sizes rarely passes:
    /// <list type="bullet">
    /// <item>a step (the offset moved, the rate did not): the pair agrees, both on one side and within
    /// <see cref="FlatPairSigmas"/> of their combined spread of each other (Kind Step, the mean of the two);</item>
    /// <item>a rate change since the last normal sample: deviations that grow along a line from zero, both on one
    /// side, the second beyond the first by more than ThresholdSigmas of their combined spread, and the line through
    /// them still inside the gate at the last normal sample (FrequencyJump, no step, slope from the pair).</item>
    /// </list>
    /// Told apart only where the two hypotheses put the second sample further apart than both tolerances together.
    /// Where they do not, a pair that passes either check is a change of one kind or the other, and the line through
    /// both is followed (FrequencyJump, its step the line at the last normal sample, so a run-up is never stepped): its
    /// two-point uncertainty holds both hypotheses. A step with a rate change at once (a migration) that the pair can
    /// tell from both fits neither: two points always lie on a line, so it waits for the third. Returns the change and
    /// the line's slope (0 for a step) and value at the second sample (ns/s, ns); null otherwise (nothing changes then).
    /// </summary>
    public (Discontinuity Change, double SlopeNsPerS, double DeviationNs)? ChangeInRun()
    {
        if (_run.Count != 2 || _lastNormal is not { } last) return null;
        var (t1, d1, sd1) = _run[0];
        var (t2, d2, sd2) = _run[1];
        if (Math.Sign(d1) != Math.Sign(d2) || d1 == 0 || t1 <= last || t2 <= t1) return null;
        double sign = Math.Sign(d1), dtS = (t2 - t1).Nanoseconds / 1e9, pairSd = Math.Sqrt(sd1 * sd1 + sd2 * sd2);
        // Classified only where the pair can tell the two apart: a step puts the second sample at d1, a rate change since the last
        // normal sample at d1 (t2 - last) / (t1 - last). Where the gate is wide (the oscillator may move a lot between
        // reads) both fit, and a rate change's run-up read as a step would be stepped: not classified (see below).
        double separationNs = Math.Abs(d1) * dtS / ((t1 - last).Nanoseconds / 1e9);
        double slopeNsPerS = (d2 - d1) / dtS;
        double atLastNormalNs = d1 - slopeNsPerS * (t1 - last).Nanoseconds / 1e9;
        bool flat = Math.Abs(d2 - d1) <= FlatPairSigmas * pairSd;
        if (!(separationNs > (FlatPairSigmas + _options.ThresholdSigmas) * pairSd))
        {
            // Step and rate change both fit the pair. Either is a change, not two outliers, if the pair passes one of the
            // two checks (agreeing, or growing along a line that was inside the gate at the last normal sample): a pair
            // of outliers of random sizes rarely does. The line through both holds both hypotheses (a step is the line
            // with slope 0, within the slope's spread), and FollowRateChange gives the state that line's own
            // uncertainty, so following it commits to neither; the next samples tell them apart as they refine the
            // state. Waiting for the third sample instead costs a read: at 12.6 s reads a 0.11 ppm rate change was
            // 4.2 us off before it was followed (random worlds 1-158, 2-56). Its step is the line at the last normal
            // sample, so only a step beyond the policy's threshold may be stepped (a run-up never is).
            bool growsFromZero = (d2 - d1) * sign > 0 && atLastNormalNs * sign <= _options.ThresholdSigmas * sd1;
            if (!flat && !growsFromZero) return null;
            Last = new Discontinuity(t1, DiscontinuityKind.FrequencyJump, Duration.FromNanoseconds((long)Math.Round(atLastNormalNs)), slopeNsPerS / 1e3, 2);
            _run.Clear();
            return (Last, slopeNsPerS, d2);
        }
        if (flat)
        {
            double meanNs = (d1 + d2) / 2;
            Last = new Discontinuity(t1, DiscontinuityKind.Step, Duration.FromNanoseconds((long)Math.Round(meanNs)), 0, 2);
            _run.Clear();
            return (Last, 0, meanNs);
        }
        if (!((d2 - d1) * sign > _options.ThresholdSigmas * pairSd)) return null;
        if (atLastNormalNs * sign > _options.ThresholdSigmas * sd1) return null; // the change began after that normal sample
        Last = new Discontinuity(t1, DiscontinuityKind.FrequencyJump, Duration.Zero, slopeNsPerS / 1e3, 2);
        _run.Clear();
        return (Last, slopeNsPerS, d2);
    }

    /// <summary>Two deviating samples agreeing within this many standard deviations of their difference are one step
    /// (see <see cref="ChangeInRun"/>): a real step passes 99.7 % of the time, and one that does not waits for the
    /// third sample as before.</summary>
    public const double FlatPairSigmas = 3.0;

    /// <summary>
    /// A sample the caller knows to be on the model (the first sample after a jump of the clock, which the estimator
    /// starts from, keeping the frequency): deviations after it are measured from there, so <see cref="ChangeInRun"/>
    /// can tell a rate change that began with the jump (a migration to a host whose clock runs at another rate) at the
    /// second deviating sample.
    /// </summary>
    public void Anchor(Instant<Utc> at)
    {
        _run.Clear();
        _lastNormal = at;
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

    /// <summary>
    /// A run whose deviations change sign but all lie on one line (each within <see cref="FlatPairSigmas"/> of its
    /// own spread from it, the slope significant): a step and a rate change of opposite signs at once (a migration
    /// whose step the new rate runs back through zero), which the same-sign rule would hold until the line is past
    /// zero by ConsecutiveSamples. A FrequencyJump whose step is the line at the last normal sample; null otherwise.
    /// </summary>
    private Discontinuity? CrossingLine()
    {
        int n = _run.Count;
        if (_run.All(r => r.ResidualNs > 0) || _run.All(r => r.ResidualNs < 0)) return null;
        var t1 = _run[0].At;
        if (LineFrom(t1, _run) is not { } line) return null;
        double slopeNsPerS = line.SlopeNsPerS, interceptNs = line.InterceptNs;
        foreach (var (at, residualNs, sdNs) in _run)
            if (Math.Abs(residualNs - interceptNs - slopeNsPerS * (at - t1).Nanoseconds / 1e9) > FlatPairSigmas * sdNs) return null;
        if (!(Math.Abs(slopeNsPerS) > SignificantSlopeSigmas * _run.Average(r => r.SdNs) * Math.Sqrt(line.UnitSlopeVariance))) return null;
        double intervalS = (_lastIntervalNs > 0 ? _lastIntervalNs
            : _lastNormal is { } last && t1 > last ? (t1 - last).Nanoseconds
            : (_run[^1].At - t1).Nanoseconds / Math.Max(1, n - 1)) / 1e9;
        double stepAtLastNormalNs = interceptNs - slopeNsPerS * intervalS;
        return new Discontinuity(t1, DiscontinuityKind.FrequencyJump, Duration.FromNanoseconds((long)Math.Round(stepAtLastNormalNs)), slopeNsPerS / 1e3, n);
    }

    /// <summary>Least-squares line r = c + s (t - t1) through a run's deviations, times in seconds (equal weights);
    /// null when the samples are not at different times.</summary>
    private static WeightedLineFit? LineFrom(Instant<Utc> t1, IReadOnlyList<(Instant<Utc> At, double ResidualNs, double SdNs)> run)
    {
        int n = run.Count;
        Span<double> xS = n <= 64 ? stackalloc double[n] : new double[n];
        Span<double> yNs = n <= 64 ? stackalloc double[n] : new double[n];
        Span<double> weights = n <= 64 ? stackalloc double[n] : new double[n];
        for (int i = 0; i < n; i++)
        {
            xS[i] = (run[i].At - t1).Nanoseconds / 1e9;
            yNs[i] = run[i].ResidualNs;
            weights[i] = 1;
        }
        for (int i = 1; i < n; i++)
            if (xS[i] != xS[0]) return WeightedLineFit.Fit(xS, yNs, weights);
        return null;
    }

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
        if (n >= 2 && LineFrom(t1, run) is { } line)
        {
            double slopeNsPerS = line.SlopeNsPerS;
            double interceptNs = line.InterceptNs;
            // Deviations that grow away from zero and reach zero shortly before the run: a frequency jump.
            bool grows = Math.Sign(slopeNsPerS) == Math.Sign(meanNs);
            double onsetBeforeS = grows ? interceptNs / slopeNsPerS : double.PositiveInfinity;
            double intervalS = (_lastIntervalNs > 0 ? _lastIntervalNs
                : _lastNormal is { } last && t1 > last ? (t1 - last).Nanoseconds
                : (run[^1].At - t1).Nanoseconds / Math.Max(1, n - 1)) / 1e9;
            double limitS = _options.FrequencyJumpOnsetIntervals * intervalS;
            double slopeSdNsPerS = run.Average(r => r.SdNs) * Math.Sqrt(line.UnitSlopeVariance);
            bool onsetJustBefore = onsetBeforeS >= -0.5 * intervalS && onsetBeforeS <= limitS;
            bool slopeSignificant = n >= 3 && Math.Abs(slopeNsPerS) > SignificantSlopeSigmas * slopeSdNsPerS;
            if (grows && (onsetJustBefore || slopeSignificant))
            {
                double stepAtLastNormalNs = interceptNs - slopeNsPerS * intervalS;
                var step = onsetJustBefore ? Duration.Zero : Duration.FromNanoseconds((long)Math.Round(stepAtLastNormalNs));
                return new Discontinuity(t1, DiscontinuityKind.FrequencyJump, step, slopeNsPerS / 1e3, n);
            }
        }
        return new Discontinuity(t1, DiscontinuityKind.Step, Duration.FromNanoseconds((long)Math.Round(meanNs)), 0, n);
    }
}
