namespace Sync.Filters.Estimation;

/// <summary>What kind of sudden change a run of outliers looks like.</summary>
public enum DiscontinuityKind
{
    /// <summary>The offset jumped and stayed (residuals constant).</summary>
    Step,
    /// <summary>The frequency changed (residuals grow linearly from about when the last good sample was taken).</summary>
    FrequencyJump,
    /// <summary>Outliers of mixed sign: the noise grew far beyond the model, or something else happened.</summary>
    Unclassified,
}
