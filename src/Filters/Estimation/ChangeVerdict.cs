namespace Sync.Filters.Estimation;

/// <summary>How the change detector judged one sample against the prediction.</summary>
public enum ChangeVerdict
{
    /// <summary>Within the threshold: an ordinary sample.</summary>
    Normal,
    /// <summary>Beyond the threshold, but not (yet) a run long enough to call a discontinuity.</summary>
    Outlier,
    /// <summary>This sample completed a run of outliers: see <see cref="ChangeDetector.Last"/>.</summary>
    Discontinuity,
}
