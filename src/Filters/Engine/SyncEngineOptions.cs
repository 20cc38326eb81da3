using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>Which estimator turns filtered samples into offset and frequency.</summary>
public enum EstimatorKind { Regression, Kalman }

/// <summary>Tuning of the whole sync engine; defaults documented here.</summary>
public sealed record SyncEngineOptions
{
    /// <summary>Readings are reduced by chrony's delay band (default) or phc2sys's fastest sample.</summary>
    public ReductionRule Reduction { get; init; } = ReductionRule.DelayBand;

    /// <summary>The precision of one PHC reading: no sample's error is smaller.</summary>
    public Duration ReadingPrecision { get; init; } = Duration.FromNanoseconds(1);

    /// <summary>Reduced readings are combined by the median filter once per this interval (chrony's poll).</summary>
    public Duration UpdateInterval { get; init; } = Duration.FromSeconds(1);

    public EstimatorKind Estimator { get; init; } = EstimatorKind.Regression;

    public LeapPolicy Leap { get; init; } = LeapPolicy.Kernel;

    /// <summary>No reference samples must be taken this close to a leap second (the UTC reading is ambiguous there).</summary>
    public Duration LeapQuietWindow { get; init; } = Duration.FromSeconds(2);

    /// <summary>No filtered sample for this long means holdover.</summary>
    public Duration HoldoverAfter { get; init; } = Duration.FromSeconds(3);

    public DisciplineOptions Discipline { get; init; } = new();
}
