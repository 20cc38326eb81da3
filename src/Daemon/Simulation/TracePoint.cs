namespace Sync.Daemon.Simulation;

/// <summary>
/// One moment of a simulation run: the guest's true offset from the policy's time scale, the bound it published
/// (-1: none), how far the served clock itself was off true time then (its scheduled steps and rate errors), and
/// the steps the guest's kernel applied on command since the previous point (CommandedStepNs, net; a slew,
/// however fast, is no step; an injected migration step is not commanded), and the discontinuities (steps or rate
/// changes) the estimator followed since the previous point.
/// </summary>
public readonly record struct TracePoint(double TimeS, long TrueOffsetNs, long BoundNs, long? EstimatedOffsetNs, string State, long ServedFaultNs = 0,
    long CommandedStepNs = 0, long Discontinuities = 0)
{
    /// <summary>The guest's offset from the clock it is asked to follow (the served clock): what the figures judge.</summary>
    public long ErrorNs => TrueOffsetNs - ServedFaultNs;
}
