namespace Sync.Filters.Samples;

/// <summary>A reduced sample, or the reason the whole reading was rejected.</summary>
public readonly record struct ReductionResult(ReducedSample? Sample, string? RejectReason)
{
    public bool IsAccepted => Sample is not null;

    public static ReductionResult Accepted(ReducedSample sample) => new(sample, null);

    public static ReductionResult Rejected(string reason) => new(null, reason);
}
