using Sync.Filters.Samples;
using Sync.Filters.Selection;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>The source chosen at one update: its filtered, calibrated sample, and whether the sources agreed.</summary>
internal sealed record SourceChoice(SourceState Source, OffsetSample Corrected, bool NoMajority);

/// <summary>
/// One update's choice of source: each source's batch is median-filtered and calibrated (a configured calibration,
/// else one measured against a narrower path when it beats causality, else the causal half window), stalled reads
/// left out (<see cref="StalledReadTest"/>); the sources are combined by their bounds (<see cref="SourceCombiner"/>),
/// falsetickers left out; wider paths are measured against the chosen one.
/// </summary>
internal sealed class SourceSelector(SyncEngineOptions options)
{
    /// <summary>Sources read a little apart in time are compared as if read together: the clock moves at most this much meanwhile (the kernel's 500 ppm).</summary>
    private const double MaxRateDifference = 500e-6;

    private readonly StalledReadTest _stalled = new(options);

    /// <summary>Empties every batch into one choice; null when no source has a usable sample.</summary>
    public SourceChoice? Choose(IEnumerable<SourceState> sources, string? selectedId)
    {
        var candidates = new List<Candidate>();
        foreach (var source in sources)
        {
            source.Verdict = SourceVerdict.NoSample;
            if (source.Batch.Count == 0)
                continue;
            var filtered = MedianFilter.Combine(source.Batch);
            var spreadNs = BatchStandardErrorNs(source.Batch);
            source.Batch.Clear();
            if (filtered is not { } f || _stalled.LeavesOut(source, f.Sample.Delay))
                continue;
            var causal = Duration.FromNanoseconds((f.Sample.Delay.Nanoseconds + 1) / 2);
            var (calibration, origin) = source.Configured is { } configured ? (configured, CalibrationOrigin.Configured)
                : options.CalibrateWiderPaths && source.Measured.Current is { } measured && measured.Allowance < causal ? (measured, CalibrationOrigin.Measured)
                : (new SourceCalibration(Duration.Zero, causal), CalibrationOrigin.None);
            source.Calibration = calibration;
            source.Origin = origin;
            source.LastWindow = f.Sample.Delay;
            var corrected = source.Corrected(f.Sample);
            source.LastCorrectedOffset = corrected.Offset;
            candidates.Add(new Candidate(source, f.Sample, corrected, causal, calibration.Allowance + Duration.FromNanoseconds((long)Math.Ceiling(3 * spreadNs))));
        }
        if (candidates.Count == 0)
            return null;

        var newest = candidates.Max(c => c.Corrected.LocalTime);
        var intervals = candidates.Select(c => new SourceInterval(
            c.Source.Id,
            c.Corrected.Offset,
            c.HalfWidth + Duration.FromNanoseconds((long)Math.Ceiling((newest - c.Corrected.LocalTime).Nanoseconds * MaxRateDifference)),
            c.Source.Preference)).ToList();
        var combined = SourceCombiner.Combine(intervals, selectedId);
        foreach (var c in candidates)
            c.Source.Verdict = combined.Verdicts[c.Source.Id];
        var chosen = candidates.First(c => c.Source.Id == combined.Selected);
        if (options.CalibrateWiderPaths)
            CalibrateWiderPaths(candidates, chosen);
        return new SourceChoice(chosen.Source, chosen.Corrected, candidates.Count > 1 && !combined.Majority);
    }

    /// <summary>Measures each wider path against the chosen one (<see cref="PathCalibration"/>), where causality allows.</summary>
    private static void CalibrateWiderPaths(List<Candidate> candidates, Candidate chosen)
    {
        foreach (var wide in candidates)
        {
            if (wide.Source == chosen.Source || wide.Source.Configured is not null || wide.Causal <= chosen.Source.Calibration.Allowance)
                continue;
            // Only pairs that causality allows: a path that steps or breaks is reported, not calibrated away.
            var difference = (wide.Raw.Offset - chosen.Corrected.Offset).Abs();
            if (difference <= wide.Causal + chosen.HalfWidth)
                wide.Source.Measured.Add(wide.Raw.Offset, chosen.Corrected.Offset, chosen.Source.Calibration.Allowance);
        }
    }

    private static double BatchStandardErrorNs(List<OffsetSample> batch)
    {
        if (batch.Count < 2)
            return 0;
        var mean = batch.Average(s => (double)s.Offset.Nanoseconds);
        var variance = batch.Sum(s => Math.Pow(s.Offset.Nanoseconds - mean, 2)) / (batch.Count - 1);
        return Math.Sqrt(variance / batch.Count);
    }

    private sealed record Candidate(SourceState Source, OffsetSample Raw, OffsetSample Corrected, Duration Causal, Duration HalfWidth);
}
