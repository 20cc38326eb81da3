using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// The error bound causality gives, whatever the estimator does with its samples. The reference was read somewhere
/// inside the newest sample's window, so the true offset at that sample's time lies within its allowance (half the
/// window, or a calibrated path's allowance) of the sample. The estimate at the same instant is therefore off by at
/// most |sample - estimate| + allowance: no assumption about which samples the estimate leans on or how it weights
/// them. The weighted mean of recent half windows (<see cref="SyncEngine.AsymmetryError"/>) assumes the estimator
/// weights the last <see cref="SyncEngineOptions.AsymmetryMemory"/> samples by 1 / Error^2; a Kalman filter that has
/// learnt wander from a read point that moves with the host's load forgets faster, and a few narrow windows then
/// keep that mean small while the estimate follows wide, biased ones. From the sample's time on, what the model
/// says the estimate can gather (its bound's growth since then: frequency error, wander, holdover) is added.
/// Exact for readings whose window holds the whole reading (Extended, Basic, ClockGettime); a cross-timestamp's
/// zero window says nothing about its noise, which the model's bound covers instead; its allowance is the precision
/// it states (its Error: a read the clock stepped in states microseconds, random world 2-278 after a migration, where
/// this bound was the only one near the truth: 14.6 us from the sample + 4.8 us of stated precision, 19.4 us off).
/// </summary>
internal sealed class CausalBound
{
    /// <summary>Cross-timestamps whose distance from the estimate makes up the scatter (the newest weigh most).</summary>
    private const int ScatterMemory = 64;
    /// <summary>Cross-timestamps seen before their scatter is trusted to explain one.</summary>
    private const int ScatterMinimum = 8;
    /// <summary>Scatter sd a cross-timestamp may lie beyond the model's bound and still be explained by it (the bound's
    /// own 3.5 sd).</summary>
    private const double ScatterSigmas = 3.5;

    private long? _boundNs;
    private long _modelBoundAtSampleNs;
    private double _scatterNs2;
    private int _scatterCount;

    /// <summary>The bound at the newest sample's time, null until an estimate has been checked against a sample.</summary>
    public Duration? AtSample => _boundNs is { } b ? Duration.FromNanoseconds(b) : null;

    /// <summary>Checks the estimate at the sample's own local time (raw, before any smear target) against the sample.</summary>
    public void Observe(OffsetSample sample, Duration allowance, ClockEstimate? estimateAtSample)
    {
        if (estimateAtSample is null)
        {
            _boundNs = null;
            return;
        }
        var distanceNs = (sample.Offset - estimateAtSample.Offset).Abs().Nanoseconds;
        _modelBoundAtSampleNs = estimateAtSample.ErrorBound.Nanoseconds;
        if (sample.Delay == Duration.Zero)
        {
            // A cross-timestamp has no window: where it puts the reference is what it states as its precision (Error),
            // and its distance from the estimate is mostly its scatter, which the model's bound already holds. It
            // says something the model does not only when the model cannot explain it: farther from the estimate than
            // the model's bound, its precision and ScatterSigmas of the cross-timestamps' scatter (after a migration,
            // random world 2-278: 14.6 us off a restarted estimate whose bound was 96 ns). Taken as a bound whenever it
            // was the wider, the scatter's draws set the published bound in noisy precise worlds (2-3: 16 ns against
            // the model's 9).
            if (sample.Error > allowance)
                allowance = sample.Error;
            var explained = _scatterCount >= ScatterMinimum
                && distanceNs <= _modelBoundAtSampleNs + allowance.Nanoseconds + ScatterSigmas * Math.Sqrt(_scatterNs2);
            if (explained || _scatterCount < ScatterMinimum)
            {
                _scatterCount++;
                var weight = 1.0 / Math.Min(_scatterCount, ScatterMemory);
                _scatterNs2 += weight * ((double)distanceNs * distanceNs - _scatterNs2);
            }
            if (explained)
            {
                _boundNs = null;
                return;
            }
        }
        _boundNs = distanceNs + allowance.Nanoseconds;
    }

    /// <summary>The estimate was rebuilt without a sample to check it against (restart, disruption, jump).</summary>
    public void Forget() => _boundNs = null;

    /// <summary>The causal bound for an estimate whose model bound is <paramref name="modelBound"/> (at a later instant
    /// the model's bound has grown by what it can gather since the sample); null when there is none.</summary>
    public Duration? For(Duration modelBound) =>
        _boundNs is { } b ? Duration.FromNanoseconds(b + Math.Max(0, modelBound.Nanoseconds - _modelBoundAtSampleNs)) : null;
}
