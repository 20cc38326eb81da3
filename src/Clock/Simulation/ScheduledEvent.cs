namespace Sync.Clock.Simulation;

/// <summary>
/// Something that happens to the simulated world at a true instant (TAI ns): a served-clock fault, a guest
/// step, a leap second, ... AtElapsedNs counts from the world's start; Description is for reports.
/// </summary>
public sealed record ScheduledEvent(long AtTrueNs, long AtElapsedNs, string Kind, string Description);
