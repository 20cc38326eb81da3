using Sync.Filters.Discipline;
using Sync.Filters.Estimation;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// Observe mode: the adjustments someone else (chronyd) makes to the clock, read back from the kernel and told to the
/// estimator as adjustments, so its model follows the clock as it really runs.
/// </summary>
internal sealed class KernelReadBack(IClockEstimator estimator)
{
    private double? _kernelPpm;
    private Instant<Utc>? _kernelReadAt;

    /// <summary>Frequency changes seen by <see cref="Frequency"/>.</summary>
    public long Adjustments { get; private set; }

    /// <summary>Steps seen by <see cref="Step"/>.</summary>
    public long Steps { get; private set; }

    /// <summary>The most recent step (local time it was seen at, size).</summary>
    public (Instant<Utc> At, Duration Size)? LastStep { get; private set; }

    /// <summary>
    /// The kernel's frequency correction (freq plus tick, ppm) read at localNow. A change since the last read was made
    /// by someone else (chronyd slews by changing the frequency): the estimator is told of it as an adjustment dated
    /// half way between the two reads (after the newest sample), so its model follows the clock as it really runs.
    /// </summary>
    public void Frequency(Instant<Utc> localNow, double frequencyPpm, Instant<Utc>? lastSampleAt, double estimatedFrequencyPpm)
    {
        if (_kernelPpm is { } previous && frequencyPpm != previous)
        {
            var at = _kernelReadAt is { } before && before < localNow ? before + (localNow - before) / 2 : localNow;
            if (lastSampleAt is { } lastSample && at <= lastSample)
                at = lastSample + Duration.FromNanoseconds(1);
            var changePpm = DisciplineController.LocalRateChangePpm(previous, frequencyPpm, estimatedFrequencyPpm);
            estimator.NotifyAdjustment(new LocalClockAdjustment(at, changePpm, Duration.Zero));
            Adjustments++;
        }
        _kernelPpm = frequencyPpm;
        _kernelReadAt = localNow;
    }

    /// <summary>
    /// Someone else (chronyd's makestep) stepped the clock, seen as a change of CLOCK_REALTIME - CLOCK_MONOTONIC between
    /// two looks, the later at localNow (after the step, on the new axis). The estimator is told of it as an exact
    /// adjustment, so its model carries on across the step instead of seeing a jump and starting over. The step is
    /// dated just after the newest sample (every later sample is from after it). After a step back, the samples whose
    /// local time is not past that one again are on the new axis before the old one's newest: they must be dropped
    /// (not taken for a jump), so the newest sample's local time is returned as the overlap's end (else null).
    /// </summary>
    public Instant<Utc>? Step(Instant<Utc> localNow, Duration step, Instant<Utc>? lastSampleAt)
    {
        Steps++;
        LastStep = (localNow, step);
        if (lastSampleAt is not { } lastSample)
            return null;
        estimator.NotifyAdjustment(new LocalClockAdjustment(lastSample + Duration.FromNanoseconds(1), 0, step));
        return step < Duration.Zero ? lastSample : null;
    }
}
