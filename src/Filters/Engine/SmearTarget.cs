using Sync.Filters.Estimation;
using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// Following a computable smear (<see cref="LeapPolicy.FollowSmear"/>): samples are estimated against a continuous
/// axis (the reference unsmeared to TAI, minus TAI - UTC fixed at the first sample, k0) so the estimators never see
/// the smear's frequency step; the local clock must follow smeared time instead, so the target offset is
/// smear(t) = smeared(t) - (TAI(t) - k0) and its slope is fed forward as the target's rate.
/// </summary>
internal sealed class SmearTarget(LeapSecondTable leapTable)
{
    private int? _continuousTaiMinusUtcSeconds;

    /// <summary>A smeared reference time on the continuous axis (k0 is fixed here at the first call).</summary>
    public Instant<Utc> ContinuousUtc(Instant<UtcSmeared> reference, SmearVariant variant, Instant<Utc> localTime)
    {
        var tai = LeapSmear.ToTai(reference, variant, leapTable);
        _continuousTaiMinusUtcSeconds ??= leapTable.TaiMinusUtcAt(localTime);
        return new Instant<Utc>(tai.Nanoseconds - _continuousTaiMinusUtcSeconds.Value * Duration.NanosecondsPerSecond);
    }

    /// <summary>A sample against what the clock must follow: following a computable smear, the smeared time (the
    /// sample itself is on the continuous axis); otherwise the sample as it is.</summary>
    public OffsetSample Offset(OffsetSample sample, SmearVariant? smear)
    {
        if (smear is not { } variant || _continuousTaiMinusUtcSeconds is not { } k0)
            return sample;
        var continuousNs = sample.LocalTime.Nanoseconds - sample.Offset.Nanoseconds;
        return sample with { Offset = sample.Offset - Duration.FromNanoseconds(SmearNsAt(continuousNs, variant, k0)) };
    }

    /// <summary>
    /// The estimate against the smear (unchanged when not following one), and the target's rate in ppm: the smear's
    /// mean slope over the next <paramref name="span"/> (until the next update, so the phase is right when it
    /// comes); the controller makes the clock run at 1 + that rate of the continuous axis.
    /// </summary>
    public (ClockEstimate Estimate, double RatePpm) Steer(ClockEstimate estimate, SmearVariant? smear, Duration span)
    {
        if (smear is not { } variant || _continuousTaiMinusUtcSeconds is not { } k0)
            return (estimate, 0);
        // The continuous axis now: the local clock minus its estimated offset from it.
        var continuousNs = estimate.At.Nanoseconds - estimate.Offset.Nanoseconds;
        var smearNs = SmearNsAt(continuousNs, variant, k0);
        var slopePpm = (SmearNsAt(continuousNs + span.Nanoseconds, variant, k0) - smearNs) / (double)span.Nanoseconds * 1e6;
        // Against the smear the offset moved: the estimator's bound on its own true offset no longer applies.
        return (estimate with { Offset = estimate.Offset - Duration.FromNanoseconds(smearNs), TrueOffsetBound = null }, slopePpm);
    }

    /// <summary>smeared(t) - t for t on the continuous axis (TAI - k0 s), ns.</summary>
    private long SmearNsAt(long continuousNs, SmearVariant variant, int k0) =>
        LeapSmear.FromTai(new Instant<Tai>(continuousNs + k0 * Duration.NanosecondsPerSecond), variant, leapTable).Nanoseconds - continuousNs;
}
