using Sync.Daemon.Systemd;

namespace Sync.Daemon.Hosting;

/// <summary>What the host takes from outside, replaceable in tests: systemd's variables and the time source.</summary>
public sealed record DaemonHostEnvironment
{
    public SystemdEnvironment Systemd { get; init; } = SystemdEnvironment.FromProcess();
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
