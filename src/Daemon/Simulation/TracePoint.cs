namespace Sync.Daemon.Simulation;

/// <summary>One moment of a simulation run: the guest's true offset from the policy's time scale and the bound it published (-1: none).</summary>
public readonly record struct TracePoint(double TimeS, long TrueOffsetNs, long BoundNs, long? EstimatedOffsetNs, string State);
