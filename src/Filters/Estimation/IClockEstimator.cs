using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>Turns offset samples into an estimate of the local clock's offset and frequency error.</summary>
public interface IClockEstimator
{
    /// <summary>Offers one sample; says whether it was used, held as an outlier, or completed a discontinuity (then reset).</summary>
    SampleOutcome Add(OffsetSample sample);

    /// <summary>The local clock was slewed or stepped; samples already held must be seen in that light.</summary>
    void NotifyAdjustment(LocalClockAdjustment adjustment);

    /// <summary>The estimate extrapolated to localNow, or null while there is not enough data.</summary>
    ClockEstimate? EstimateAt(Instant<Utc> localNow);

    /// <summary>The most recent detected step or frequency jump (null until one happens, and after a reset).</summary>
    Discontinuity? LastDiscontinuity { get; }

    /// <summary>Forget everything (after a detected step or frequency jump of the reference or local clock).</summary>
    void Reset();

    /// <summary>The clock jumped (a pause, restore or migration moved it): forget the estimate, keep what was learnt
    /// about the readings' noise and the oscillator, which a jump does not change (default: <see cref="Reset"/>).</summary>
    void RestartAfterJump() => Reset();
}
