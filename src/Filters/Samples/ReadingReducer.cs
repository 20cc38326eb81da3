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

    /// <summary>
    /// <see cref="ReductionRule.DelayCorrected"/>: the learnt d(offset)/d(delay) within readings, K, limited to +-1/2
    /// (the device read its clock inside the window); 0 before any reading taught it.
    /// </summary>
    /// <summary><see cref="ReductionRule.DelayCorrected"/>: how far the last reading's offset was moved (its PHC time
    /// moved back by this: the reading's offset before the correction is its offset minus this); zero otherwise.</summary>
    public Duration LastAsymmetryShift { get; private set; }

    public double AsymmetrySlope => _asymmetrySxx > 0 ? Math.Clamp(_asymmetrySxy / _asymmetrySxx, -0.5, 0.5) : 0;

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
