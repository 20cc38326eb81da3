namespace Sync.Filters.Estimation;

/// <summary>What an estimator did with one offered sample.</summary>
public enum SampleOutcome
{
    /// <summary>Used in the estimate.</summary>
    Accepted,
    /// <summary>Far from the prediction; held back as a possible outlier or the start of a discontinuity.</summary>
    Outlier,
    /// <summary>Completed a run of outliers: a step or frequency jump was declared (see LastDiscontinuity).</summary>
    Discontinuity,
    /// <summary>Not newer than the newest sample already held; ignored.</summary>
    OutOfOrder,
    /// <summary>Negative error or delay; ignored.</summary>
    Invalid,
}
