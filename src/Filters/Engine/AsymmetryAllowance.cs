using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// The delay asymmetry no estimator can see, as a systematic error. Causality is all that is known without a
/// narrower path: the reference was read somewhere inside [sys_before, sys_after], so a sample's offset is
/// off by at most half its window (chrony's root delay / 2; a calibrated path's allowance instead). The
/// estimate is a weighted mean of recent samples, weighted by 1 / Error^2, so it is off by at most the same
/// weighted mean of their allowances, over the last <see cref="SyncEngineOptions.AsymmetryMemory"/> filtered
/// samples (rounded up). Cross-timestamps have a zero window: their bound stays tight.
/// </summary>
internal sealed class AsymmetryAllowance(int memory)
{
    private readonly Queue<(long AllowanceNs, double Weight)> _recent = new();

    /// <summary>A filtered sample the estimator took: its allowance, weighted as the estimators weight it (1 / Error^2).</summary>
    public void Add(Duration allowance, Duration error)
    {
        var errorNs = Math.Max(1.0, error.Nanoseconds);
        _recent.Enqueue((allowance.Nanoseconds, 1 / (errorNs * errorNs)));
        while (_recent.Count > Math.Max(1, memory))
            _recent.Dequeue();
    }

    public Duration Error
    {
        get
        {
            if (_recent.Count == 0)
                return Duration.Zero;
            double weighted = 0, weights = 0;
            foreach (var (allowanceNs, weight) in _recent)
            {
                weighted += weight * allowanceNs;
                weights += weight;
            }
            return Duration.FromNanoseconds((long)Math.Ceiling(weighted / weights - 1e-3));
        }
    }
}
