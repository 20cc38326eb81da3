namespace Sync.Clock.Simulation;

/// <summary>One simulated PHC sample's timing: total delay, and how far into it the device is read.</summary>
public readonly record struct PhcSampleTiming(long DelayNs, long DeviceReadAfterNs);
