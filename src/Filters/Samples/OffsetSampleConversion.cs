using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Filters.Samples;

/// <summary>An offset sample made from a reduced PHC sample, or why it could not be made.</summary>
public readonly record struct OffsetSampleConversion(OffsetSample? Sample, bool BeyondTableExpiry, string? Error)
{
    public bool IsSuccess => Sample is not null;

    /// <summary>
    /// Offset = local - reference in UTC (<see cref="TimeScaleConverter"/>); Error grows by the conversion's
    /// Ambiguity (e.g. 0.5 s near a leap for a maybe-smeared clock). Fails for a monotonic PHC.
    /// </summary>
    public static OffsetSampleConversion From(ReducedSample sample, LeapSecondTable table)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var utc = TimeScaleConverter.ToUtc(sample.Reference, table);
        if (!utc.IsSuccess)
            return new OffsetSampleConversion(null, false, utc.Error);
        var offset = sample.LocalTime - utc.Utc;
        return new OffsetSampleConversion(
            new OffsetSample(sample.LocalTime, offset, sample.Delay, sample.Error + utc.Ambiguity),
            utc.BeyondTableExpiry, null);
    }
}
