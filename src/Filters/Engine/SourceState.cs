using Sync.Filters.Samples;
using Sync.Filters.Selection;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// What the engine keeps about one reference clock: its reducer, the samples of the current update interval, its
/// calibration (configured, measured or none), the typical window of the stalled-read test and the figures the
/// snapshot shows.
/// </summary>
internal sealed class SourceState(string id, string name, ClockScale scale, ReadingReducer reducer)
{
    public string Id { get; } = id;
    public ReadingReducer Reducer { get; } = reducer;
    public int Preference { get; init; }
    public SourceCalibration? Configured { get; init; }
    public PathCalibration Measured { get; } = new();
    public List<OffsetSample> Batch { get; } = [];
    public Duration Ambiguity { get; set; }
    public SmearVariant? Smear { get; set; }
    public byte Reach { get; set; }
    public long Readings { get; set; }
    public long Samples { get; set; }
    public ReadingMethod? Method { get; set; }
    public Duration? LastDelay { get; set; }
    public Duration? LastOffset { get; set; }
    public Duration? LastError { get; set; }
    public string? LastFailure { get; set; }
    public Duration? LastWindow { get; set; }
    public Duration? LastCorrectedOffset { get; set; }
    public Queue<long> RecentWindowsNs { get; } = new();
    public int StalledRun { get; set; }
    public long StalledSamples { get; set; }
    public SourceCalibration Calibration { get; set; }
    public CalibrationOrigin Origin { get; set; }
    public SourceVerdict Verdict { get; set; }

    /// <summary>
    /// One reading of this source reduced to one sample and converted to an offset (null when it gives none: the
    /// reason is the last failure); counts reach, readings and samples.
    /// </summary>
    public OffsetSample? Measure(PhcReading reading, ReferenceScaleConverter converter)
    {
        Reach = (byte)((Reach << 1) | 1);
        Readings++;
        Method = reading.Method;
        var reduced = Reducer.Reduce(reading);
        if (reduced.Sample is not { } sample)
        {
            LastFailure = reduced.RejectReason;
            return null;
        }
        LastDelay = sample.Delay;
        if (converter.ToOffsetSample(sample, reading.PhcScale, this) is not { } offsetSample)
            return null;
        LastOffset = offsetSample.Offset;
        LastError = offsetSample.Error;
        Samples++;
        return offsetSample;
    }

    /// <summary>The sample with this source's calibration correction taken off its offset.</summary>
    public OffsetSample Corrected(OffsetSample sample) => sample with { Offset = sample.Offset - Calibration.Correction };

    public SourceSnapshot ToSnapshot(bool selected) =>
        new(Id, name, scale, selected, Reach, Method, LastDelay, LastOffset, LastError, Samples, LastFailure)
        {
            Window = LastWindow,
            CorrectedOffset = LastCorrectedOffset,
            Correction = LastWindow is null ? null : Calibration.Correction,
            Allowance = LastWindow is null ? null : Calibration.Allowance,
            Calibration = Origin,
            Verdict = Verdict,
            CalibrationPairs = Measured.Count,
            StalledSamples = StalledSamples,
        };
}
