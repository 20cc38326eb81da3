using Sync.Filters.Time;

namespace Sync.Filters.Samples;

/// <summary>
/// Reduces each PHC reading (n samples of system-before, PHC, system-after) to one <see cref="ReducedSample"/>.
/// Cross-timestamps (Precise) give a zero-delay sample with Error = precision. Extended, Basic (interleaved,
/// already split into triples by <see cref="PhcReading.FromInterleaved"/>) and ClockGettime readings are reduced
/// by the <see cref="ReductionRule"/>. A negative delay in any sample (the system clock stepped during the
/// reading) rejects the whole reading. Averages are exact integer means (Int128 sums relative to the first
/// sample, rounded to the nearest nanosecond). Stateful for DelayBand (the delay quantiles); not thread-safe.
/// </summary>
public sealed class ReadingReducer
{
    /// <summary>chrony's delay band: between the 1st and the 2nd decile of recent delays.</summary>
    public const double DelayBandLowQuantile = 0.1;
    public const double DelayBandHighQuantile = 0.2;

    private readonly DelayQuantileTracker _delays;

    public ReadingReducer(ReductionRule rule, Duration precision, DelayQuantileTracker? delayQuantiles = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(precision.Nanoseconds, 0L, nameof(precision));
        Rule = rule;
        Precision = precision;
        _delays = delayQuantiles ?? new DelayQuantileTracker();
    }

    public ReductionRule Rule { get; }

    /// <summary>The reading's resolution: the smallest Error a sample can claim.</summary>
    public Duration Precision { get; }

    public ReductionResult Reduce(PhcReading? reading)
    {
        if (reading is null || reading.Samples is null || reading.Samples.Count == 0)
            return ReductionResult.Rejected("the reading holds no samples");

        var samples = reading.Samples;
        var delays = new long[samples.Count];
        for (var i = 0; i < samples.Count; i++)
        {
            var delay = (Int128)samples[i].SysAfterNs - samples[i].SysBeforeNs;
            if (delay < 0)
                return ReductionResult.Rejected(
                    $"sample {i} has a negative delay ({delay} ns): the system clock stepped during the reading");
            if (delay > long.MaxValue)
                return ReductionResult.Rejected($"sample {i} has an impossible delay ({delay} ns)");
            delays[i] = (long)delay;
        }

        if (reading.Method == ReadingMethod.Precise)
            return Combine(reading, AllIndices(samples.Count), delays);

        if (Rule == ReductionRule.Fastest)
            return Combine(reading, [IndexOfFastest(delays)], delays);

        foreach (var delay in delays)
            _delays.Add(delay);
        var low = _delays.Quantile(DelayBandLowQuantile);
        var high = _delays.Quantile(DelayBandHighQuantile);
        var inBand = new List<int>(delays.Length);
        for (var i = 0; i < delays.Length; i++)
        {
            if (delays[i] >= low && delays[i] <= high)
                inBand.Add(i);
        }
        var result = Combine(reading, inBand.Count > 0 ? inBand : [IndexOfFastest(delays)], delays);
        if (Rule != ReductionRule.DelayCorrected || result.Sample is not { } sample)
            return result;
        LearnAsymmetry(samples, delays, _delays.Quantile(AsymmetryDelayQuantile));
        LearnAcrossReadings(sample);
        // The offset this reading would have shown at the lowest band seen (the quiet path's delay; a fixed point, so
        // a long busy spell that lifts the recent band does not move it): move the PHC time by K x the excess.
        _referenceDelayNs = Math.Min(_referenceDelayNs, low);
        var shiftNs = (long)Math.Round(AsymmetrySlope * (sample.Delay.Nanoseconds - _referenceDelayNs));
        LastAsymmetryShift = new Duration(shiftNs);
        return shiftNs == 0 ? result : ReductionResult.Accepted(sample with { Reference = sample.Reference with { Nanoseconds = sample.Reference.Nanoseconds - shiftNs } });
    }

    /// <summary><see cref="ReductionRule.DelayCorrected"/>: samples slower than this quantile of recent delays do not teach the slope.</summary>
    public const double AsymmetryDelayQuantile = 0.9;

    /// <summary>Each reading's weight in the pooled slope decays by this factor per reading (about 50 readings' memory).</summary>
    public const double AsymmetryMemory = 0.98;

    private double _asymmetrySxx;
    private double _asymmetrySxy;
    private long _referenceDelayNs = long.MaxValue;

    /// <summary><see cref="ReductionRule.DelayCorrected"/>: how far the last reading's offset was moved (its PHC time
    /// moved back by this: the reading's offset before the correction is its offset minus this); zero otherwise.</summary>
    public Duration LastAsymmetryShift { get; private set; }

    /// <summary>
    /// <see cref="ReductionRule.DelayCorrected"/>: the slope K the correction uses, d(offset)/d(delay): the slope
    /// learnt within readings (<see cref="WithinReadingSlope"/>) while the readings' offsets across readings agree with
    /// it (within <see cref="AcrossReadingSlopeAllowance"/> standard errors of <see cref="AcrossReadingSlope"/>), else
    /// the across-reading slope itself; always within +-1/2 (a pure asymmetry: the device read its clock inside the
    /// window); 0 before any reading taught it.
    /// </summary>
    /// <remarks>
    /// The within-reading slope is precise but is taught mostly by a reading's slowest samples: under load those are
    /// guest stalls, and where a stall falls (before or after the device's read) teaches a slope the quiet path the
    /// band samples take need not have (the VM lab's v1 run, load 51). The across-reading slope measures exactly what
    /// the correction is applied to (a reading's band offset against its band delay) but needs the band delay to vary.
    /// When the two disagree the within-reading slope describes other samples than the band's, so it is not used.
    /// </remarks>
    public double AsymmetrySlope
    {
        get
        {
            var within = WithinReadingSlope;
            if (AcrossReadingSlope is not { } across)
                return within;
            var agree = Math.Abs(within - across) <= AcrossReadingSlopeAllowance * AcrossReadingSlopeError;
            return Math.Clamp(agree ? within : across, -0.5, 0.5);
        }
    }

    /// <summary><see cref="ReductionRule.DelayCorrected"/>: d(offset)/d(delay) within readings (pooled), limited to +-1/2.</summary>
    public double WithinReadingSlope => _asymmetrySxx > 0 ? Math.Clamp(_asymmetrySxy / _asymmetrySxx, -0.5, 0.5) : 0;

    /// <summary>
    /// <see cref="ReductionRule.DelayCorrected"/>: d(offset)/d(delay) of the readings' band offsets (before the
    /// correction) across readings: blocks of <see cref="AcrossBlockReadings"/> readings, each with its own line in time
    /// (the clock's offset and rate, whoever steers it), pooled; null until the band delay has varied within a block.
    /// </summary>
    public double? AcrossReadingSlope => _acrossSdd > 0 && _acrossDof > 1 ? _acrossSdy / _acrossSdd : null;

    /// <summary>The standard error of <see cref="AcrossReadingSlope"/> (from the blocks' residuals); infinite before it exists.</summary>
    public double AcrossReadingSlopeError => AcrossReadingSlope is { } k
        ? Math.Sqrt(Math.Max(_acrossSyy - k * _acrossSdy, 0) / (_acrossDof - 1) / _acrossSdd)
        : double.PositiveInfinity;

    /// <summary>Readings per block of the across-reading fit (each block: offset = a + b t + K delay).</summary>
    public const int AcrossBlockReadings = 8;

    /// <summary>Each block's weight in the across-reading fit decays by this factor per block (about 50 blocks, 400 readings).</summary>
    public const double AcrossMemory = 0.98;

    /// <summary>How many standard errors of the across-reading slope the within-reading one may stray before it is not used.</summary>
    public const double AcrossReadingSlopeAllowance = 3;

    private readonly List<(long LocalNs, long OffsetNs, long DelayNs)> _block = new(AcrossBlockReadings);
    private double _acrossSdd, _acrossSdy, _acrossSyy, _acrossDof;

    private void LearnAcrossReadings(ReducedSample sample)
    {
        _block.Add((sample.LocalTime.Nanoseconds, sample.Reference.Nanoseconds - sample.LocalTime.Nanoseconds, sample.Delay.Nanoseconds));
        if (_block.Count < AcrossBlockReadings)
            return;
        var n = _block.Count;
        double mt = 0, md = 0, my = 0, maxDelay = 0;
        foreach (var (t, y, d) in _block)
        {
            mt += t - _block[0].LocalNs;
            my += y - _block[0].OffsetNs;
            md += d;
            maxDelay = Math.Max(maxDelay, d);
        }
        mt /= n; md /= n; my /= n;
        double stt = 0, std = 0, sty = 0, sdd = 0, sdy = 0, syy = 0;
        Span<double> ts = stackalloc double[AcrossBlockReadings];
        Span<double> ys = stackalloc double[AcrossBlockReadings];
        for (var i = 0; i < n; i++)
        {
            ts[i] = _block[i].LocalNs - _block[0].LocalNs - mt;
            ys[i] = _block[i].OffsetNs - _block[0].OffsetNs - my;
            var d = _block[i].DelayNs - md;
            stt += ts[i] * ts[i]; std += ts[i] * d; sty += ts[i] * ys[i];
            sdd += d * d; sdy += d * ys[i]; syy += ys[i] * ys[i];
        }
        _block.Clear();
        if (stt <= 0)
            return;
        // Causality: each band offset lies within half its delay of the clock's line, so a block that leaves the line in
        // time by more than its largest delay saw a step or a change of rate, not a path: it teaches nothing.
        for (var i = 0; i < n; i++)
        {
            if (Math.Abs(ys[i] - sty / stt * ts[i]) > maxDelay)
                return;
        }
        _acrossSdd = AcrossMemory * _acrossSdd + Math.Max(sdd - std * std / stt, 0);
        _acrossSdy = AcrossMemory * _acrossSdy + (sdy - std * sty / stt);
        _acrossSyy = AcrossMemory * _acrossSyy + Math.Max(syy - sty * sty / stt, 0);
        _acrossDof = AcrossMemory * _acrossDof + (n - 2);
    }

    private void LearnAsymmetry(IReadOnlyList<SampleTriple> samples, long[] delays, long maxDelay)
    {
        // Offsets (PHC - midpoint) relative to the first sample, in ns: small numbers within one reading.
        double n = 0, sumD = 0, sumO = 0;
        var offsets = new double[samples.Count];
        for (var i = 0; i < samples.Count; i++)
        {
            offsets[i] = (double)(samples[i].PhcNs - samples[0].PhcNs)
                - ((double)(samples[i].SysBeforeNs - samples[0].SysBeforeNs) + (samples[i].SysAfterNs - samples[0].SysBeforeNs)) / 2;
            if (delays[i] > maxDelay) continue;
            n++;
            sumD += delays[i];
            sumO += offsets[i];
        }
        if (n < 3)
            return;
        double meanD = sumD / n, meanO = sumO / n, sxx = 0, sxy = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            if (delays[i] > maxDelay) continue;
            sxx += (delays[i] - meanD) * (delays[i] - meanD);
            sxy += (delays[i] - meanD) * (offsets[i] - meanO);
        }
        _asymmetrySxx = AsymmetryMemory * _asymmetrySxx + sxx;
        _asymmetrySxy = AsymmetryMemory * _asymmetrySxy + sxy;
    }

    /// <summary>Forget the delay statistics (after a change of device or reading method).</summary>
    public void Reset()
    {
        _delays.Reset();
        _asymmetrySxx = _asymmetrySxy = 0;
        _block.Clear();
        _acrossSdd = _acrossSdy = _acrossSyy = _acrossDof = 0;
        _referenceDelayNs = long.MaxValue;
    }

    private ReductionResult Combine(PhcReading reading, IReadOnlyList<int> used, long[] delays)
    {
        var samples = reading.Samples;
        var sysBase = samples[used[0]].SysBeforeNs;
        var phcBase = samples[used[0]].PhcNs;
        Int128 twiceMidpointSum = 0, phcSum = 0, delaySum = 0;
        foreach (var i in used)
        {
            twiceMidpointSum += (Int128)samples[i].SysBeforeNs - sysBase + ((Int128)samples[i].SysAfterNs - sysBase);
            phcSum += (Int128)samples[i].PhcNs - phcBase;
            delaySum += delays[i];
        }
        var n = used.Count;
        var localTime = new Instant<Utc>(sysBase + (long)RoundedDivide(twiceMidpointSum, 2L * n));
        var phc = phcBase + (long)RoundedDivide(phcSum, n);
        var meanDelay = (long)RoundedDivide(delaySum, n);
        var error = Duration.Max(new Duration(meanDelay / 2 + meanDelay % 2), Precision);
        return ReductionResult.Accepted(new ReducedSample(localTime, new ScaledInstant(reading.PhcScale, phc), new Duration(meanDelay), error, n));
    }

    private static int IndexOfFastest(long[] delays)
    {
        var best = 0;
        for (var i = 1; i < delays.Length; i++)
        {
            if (delays[i] < delays[best])
                best = i;
        }
        return best;
    }

    private static int[] AllIndices(int count) => Enumerable.Range(0, count).ToArray();

    /// <summary>numerator / denominator rounded to the nearest integer, halves away from zero (denominator > 0).</summary>
    internal static Int128 RoundedDivide(Int128 numerator, long denominator) =>
        numerator >= 0
            ? (numerator + denominator / 2) / denominator
            : -((-numerator + denominator / 2) / denominator);
}
