using Sync.Filters.Time;

namespace Sync.Filters.Samples;

/// <summary>
/// chrony-like per-poll filter: collects the offset samples of one poll interval and combines them into one.
/// <list type="number">
/// <item>Drop invalid samples (negative Error or Delay).</item>
/// <item>Keep those with Error at most <see cref="ErrorRatioLimit"/> x the smallest Error.</item>
/// <item>Of those, keep the ceil(<see cref="KeptFraction"/> x n) whose offsets lie nearest the median.</item>
/// <item>Combine: mean LocalTime, mean Offset, mean Delay; Error = the larger of the kept samples' mean Error
/// (averaging does not shrink a delay-asymmetry bound, and it is never below the smallest) and the standard
/// error of the mean offset (sample standard deviation / sqrt(n)).</item>
/// </list>
/// Works with a single sample (returned as is). Not thread-safe.
/// </summary>
public sealed class MedianFilter
{
    public const double ErrorRatioLimit = 1.5;
    public const double KeptFraction = 0.6;

    private readonly List<OffsetSample> _pending = [];

    public int PendingCount => _pending.Count;

    public void Add(OffsetSample sample) => _pending.Add(sample);

    /// <summary>Combine the samples added since the last call and start a new poll; null when none was usable.</summary>
    public FilteredSample? TakeCombined()
    {
        var result = Combine(_pending);
        _pending.Clear();
        return result;
    }

    public static FilteredSample? Combine(IReadOnlyList<OffsetSample> samples)
    {
        if (samples is null)
            return null;
        var valid = samples.Where(s => s.Error.Nanoseconds >= 0 && s.Delay.Nanoseconds >= 0).ToList();
        if (valid.Count == 0)
            return null;

        var minError = valid.Min(s => s.Error.Nanoseconds);
        var limit = (long)Math.Floor(minError * ErrorRatioLimit);
        var precise = valid.Where(s => s.Error.Nanoseconds <= limit).ToList();

        var median = Median(precise.Select(s => s.Offset.Nanoseconds).Order().ToArray());
        var keep = Math.Max(1, (int)Math.Ceiling(precise.Count * KeptFraction - 1e-9));
        var kept = precise
            .Select((s, i) => (Sample: s, Index: i, Distance: Math.Abs((double)s.Offset.Nanoseconds - median)))
            .OrderBy(x => x.Distance).ThenBy(x => x.Index)
            .Take(keep)
            .Select(x => x.Sample)
            .ToList();

        var n = kept.Count;
        var timeBase = kept[0].LocalTime.Nanoseconds;
        var offsetBase = kept[0].Offset.Nanoseconds;
        Int128 timeSum = 0, offsetSum = 0, delaySum = 0, errorSum = 0;
        foreach (var s in kept)
        {
            timeSum += (Int128)s.LocalTime.Nanoseconds - timeBase;
            offsetSum += (Int128)s.Offset.Nanoseconds - offsetBase;
            delaySum += s.Delay.Nanoseconds;
            errorSum += s.Error.Nanoseconds;
        }
        var meanOffset = offsetBase + (long)ReadingReducer.RoundedDivide(offsetSum, n);
        var meanError = (long)ReadingReducer.RoundedDivide(errorSum, n);

        var standardError = 0.0;
        if (n > 1)
        {
            var exactMean = offsetBase + (double)offsetSum / n;
            var squares = kept.Sum(s => Math.Pow(s.Offset.Nanoseconds - exactMean, 2));
            standardError = Math.Sqrt(squares / (n - 1)) / Math.Sqrt(n);
        }
        var error = Math.Max(meanError, (long)Math.Ceiling(standardError));

        var combined = new OffsetSample(
            new Instant<Utc>(timeBase + (long)ReadingReducer.RoundedDivide(timeSum, n)),
            new Duration(meanOffset),
            new Duration((long)ReadingReducer.RoundedDivide(delaySum, n)),
            new Duration(error));
        return new FilteredSample(combined, n, samples.Count);
    }

    private static double Median(long[] sorted)
    {
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : sorted[mid - 1] / 2.0 + sorted[mid] / 2.0;
    }
}
