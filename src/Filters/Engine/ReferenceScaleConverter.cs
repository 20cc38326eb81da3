using System.Globalization;
using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// Turns a reduced sample into an offset from what the clock follows, by the reference's time scale and the leap
/// policy: UTC (converted from TAI or a smear where the table allows), or the continuous axis of a followed
/// computable smear (<see cref="SmearTarget"/>). A reading near a leap is dropped unless it comes from a computable
/// smear (UTC repeats a second there).
/// A TAI reading where the table has expired is converted with the TAI - UTC a device serving both scales shows
/// (<see cref="TaiMinusUtcObservation"/>), when there is a plausible one; a TAI clock whose TAI - UTC disagrees with
/// the one used is dropped (its reason is the source's last failure).
/// </summary>
internal sealed class ReferenceScaleConverter(SyncEngineOptions options, LeapSecondTable leapTable, SmearTarget smearTarget,
    TaiMinusUtcObservation taiMinusUtc)
{
    /// <summary>The offset sample (null when the reading cannot be converted); sets the source's smear and ambiguity.</summary>
    public OffsetSample? ToOffsetSample(ReducedSample sample, ClockScale scale, SourceState source)
    {
        // A reading near a leap is ambiguous (UTC repeats a second) unless it comes from a computable smear.
        var followsComputableSmear = scale.Scale == TimeScale.UtcSmeared && options.Leap == LeapPolicy.FollowSmear
            && LeapSmear.IsComputable(scale.Variant);
        var leap = leapTable.NextAfter(sample.LocalTime - options.LeapQuietWindow);
        if (!followsComputableSmear && leap is { } l && (sample.LocalTime - l.Effective).Abs() < options.LeapQuietWindow)
            return null;
        taiMinusUtc.Offer(sample, scale, leapTable);

        Instant<Utc> referenceUtc;
        var ambiguity = Duration.Zero;
        source.Smear = null;
        if (followsComputableSmear)
        {
            // Estimate against the continuous axis; the controller is given the smear as its target.
            referenceUtc = smearTarget.ContinuousUtc(new Instant<UtcSmeared>(sample.Reference.Nanoseconds), scale.Variant, sample.LocalTime);
            source.Smear = scale.Variant;
        }
        else if (scale.Scale == TimeScale.UtcSmeared && options.Leap == LeapPolicy.FollowSmear)
        {
            referenceUtc = new Instant<Utc>(sample.Reference.Nanoseconds);
        }
        else if (scale.Scale == TimeScale.UtcMaybeSmeared)
        {
            // A clock that may step or smear: taken as UTC (the step case, which the kernel's leap insertion then
            // matches); whatever it does instead lies within the conversion's span, which the bound covers.
            var converted = TimeScaleConverter.ToUtc(sample.Reference, leapTable);
            if (!converted.IsSuccess)
                return null;
            referenceUtc = new Instant<Utc>(sample.Reference.Nanoseconds);
            ambiguity = converted.Ambiguity * 2;
        }
        else if (scale.Scale == TimeScale.Tai && taiMinusUtc.TaiClockIsOffAt(sample.LocalTime, leapTable))
        {
            source.LastFailure = string.Create(CultureInfo.InvariantCulture,
                $"TAI - UTC {taiMinusUtc.Seconds} s from the device's TAI and UTC clocks is not the leap table's {taiMinusUtc.TaiMinusUtcAt(sample.LocalTime, leapTable)} s: the TAI clock is whole seconds off and not used");
            return null;
        }
        else if (scale.Scale == TimeScale.Tai && taiMinusUtc.ReplacesTableAt(sample.LocalTime, leapTable) is { } observed)
        {
            referenceUtc = new Instant<Utc>(sample.Reference.Nanoseconds - observed * Duration.NanosecondsPerSecond);
        }
        else
        {
            var converted = TimeScaleConverter.ToUtc(sample.Reference, leapTable);
            if (!converted.IsSuccess)
                return null;
            referenceUtc = converted.Utc;
            ambiguity = converted.Ambiguity;
        }
        // The ambiguity is systematic (averaging does not shrink it): it widens the bound, not the sample's noise.
        source.Ambiguity = ambiguity;
        return new OffsetSample(sample.LocalTime, sample.LocalTime - referenceUtc, sample.Delay, sample.Error);
    }
}
