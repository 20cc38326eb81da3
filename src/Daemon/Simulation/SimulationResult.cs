namespace Sync.Daemon.Simulation;

/// <summary>A finished run: its figures and the trace they were computed from.</summary>
public sealed record SimulationResult(string Pipeline, SimulationReport Report, IReadOnlyList<TracePoint> Trace);
