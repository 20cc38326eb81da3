namespace Sync.Daemon.Hosting;

/// <summary>What the host runs: the guest sync loop, the host device, or both on virtual time.</summary>
public enum DaemonRole { Sync, Serve, Simulate }
