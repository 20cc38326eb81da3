using Sync.Clock.VhostUser;
using Sync.Filters.Time;

namespace Sync.Daemon.Configuration;

/// <summary>The host-side vhost-user virtio-rtc device (section "serve").</summary>
public sealed record ServeOptions
{
    public string SocketPath { get; init; } = ConfigKeys.Serve.SocketPath.Default;

    /// <summary>listen (QEMU connects; its default) or connect (QEMU's chardev has server=on; we reconnect, so a restarted `serve` takes over a running VM).</summary>
    public VhostUserSocketRole SocketRole { get; init; } = ConfigKeys.Serve.SocketRole.Default;

    /// <summary>
    /// Where each connection keeps its state file so that a restarted (or crashed) `serve` takes over the running VM
    /// from systemd's file descriptor store ($NOTIFY_SOCKET, FileDescriptorStoreMax=). Unused without a notify socket.
    /// </summary>
    public string StateDirectory { get; init; } = ConfigKeys.Serve.StateDirectory.Default;
    public IReadOnlyList<ServedClock> Clocks { get; init; } = ConfigKeys.Serve.Clocks.Default;

    /// <summary>What a utc-maybe-smeared clock really does: none (plain UTC), noon or sls.</summary>
    public SmearVariant MaybeSmearedVariant { get; init; } = ConfigKeys.Serve.SmearVariant.Default;
    public bool AlarmsEnabled { get; init; } = ConfigKeys.Serve.Alarms.Default;

    /// <summary>Upper bound of serve:maxConnections: each VM holds about 8 fds, and the unit's LimitNOFILE is 65536.</summary>
    public const int MaxMaxConnections = 7_000;

    /// <summary>The default limit, which the shipped unit's fd store is sized for.</summary>
    public const int DefaultMaxConnectionsForUnits = VhostUserServerOptions.DefaultMaxConnections;

    /// <summary>VMs served at once (serve:maxConnections); a front end over the limit is closed at once, counted and logged (rate-limited).</summary>
    public int MaxConnections { get; init; } = ConfigKeys.Serve.MaxConnections.Default;

    /// <summary>Seconds a front end may take from connecting to SET_OWNER (serve:handshakeTimeoutSeconds); 0: no limit.</summary>
    public double HandshakeTimeoutSeconds { get; init; } = ConfigKeys.Serve.HandshakeTimeoutSeconds.Default;

    /// <summary>Seconds without any message or kick after which a connection is dropped (serve:idleTimeoutSeconds); 0 (default): never.</summary>
    public double IdleTimeoutSeconds { get; init; } = ConfigKeys.Serve.IdleTimeoutSeconds.Default;

    /// <summary>SCHED_FIFO priority of the vhost-user loop thread (serve:realtimePriority); 0: the normal scheduler.</summary>
    public int RealtimePriority { get; init; } = ConfigKeys.Serve.RealtimePriority.Default;

    /// <summary>The socket file's group (serve:socketGroup), a name or gid, resolved at load; -1: the process's own group.</summary>
    public int SocketGroupId { get; init; } = ConfigKeys.Serve.SocketGroup.Default.Gid;

    /// <summary>The group as configured (for messages); empty when unset.</summary>
    public string SocketGroup { get; init; } = ConfigKeys.Serve.SocketGroup.Default.Name;

    /// <summary>The socket file's permission bits (serve:socketMode, octal, default 0660).</summary>
    public UnixFileMode SocketMode { get; init; } = ConfigKeys.Serve.SocketMode.Default;

    public const UnixFileMode DefaultSocketMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>The "simulated" clock: host UTC plus faults, so the lab can test steps and rate errors without touching the host clock.</summary>
    public SimulatedServedClockOptions Simulated { get; init; } = new();
}

/// <summary>
/// Faults of the "simulated" served clock (section "serve:simulated"), relative to the moment `serve` starts:
/// a constant offset, a rate error, one scheduled step, and an optional inserted leap second at a UTC midnight.
/// </summary>
public sealed record SimulatedServedClockOptions
{
    public double OffsetMs { get; init; } = ConfigKeys.Simulated.OffsetMs.Default;
    public double RatePpm { get; init; } = ConfigKeys.Simulated.RatePpm.Default;
    public double RateAfterSeconds { get; init; } = ConfigKeys.Simulated.RateAfterSeconds.Default;
    public double StepMs { get; init; } = ConfigKeys.Simulated.StepMs.Default;
    public double StepAfterSeconds { get; init; } = ConfigKeys.Simulated.StepAfterSeconds.Default;

    /// <summary>The scale the "simulated" clock serves: utc, tai, utc-smeared-noon or utc-smeared-sls (the scales defined from TAI).</summary>
    public ClockScale Scale { get; init; } = ConfigKeys.Simulated.Scale.Default;

    /// <summary>An extra inserted leap second that ends the day before this UTC midnight; null: none.</summary>
    public DateTimeOffset? LeapAtUtc { get; init; } = ConfigKeys.Simulated.LeapAtUtc.Default;

    /// <summary>The moment the faults count from (Unix seconds); 0: serve's start. A restarted `serve` given the same epoch serves the same clock.</summary>
    public double EpochUnixSeconds { get; init; } = ConfigKeys.Simulated.EpochUnixSeconds.Default;
}

/// <summary>
/// A clock the device offers: a time scale (<see cref="ClockScale"/>), read from the host's clocks or, when
/// <see cref="Simulated"/>, from the simulated clock of serve:simulated (host time plus its faults and leap). A
/// simulated clock without a scale serves in serve:simulated:scale. The config names (<see cref="ConfigNames.ServedClocks"/>)
/// are the scale's own name (utc, tai, monotonic, utc-smeared-noon, utc-smeared-sls, utc-maybe-smeared), "simulated",
/// and "simulated-" with the scale (simulated-utc, simulated-tai, simulated-smeared-noon, simulated-smeared-sls: a whole
/// simulated set of clocks sharing one time).
/// </summary>
public readonly record struct ServedClock(ClockScale? Scale, bool Simulated)
{
    /// <summary>The host's own clock in this scale.</summary>
    public static ServedClock Host(ClockScale scale) => new(scale, false);

    /// <summary>The simulated clock in this scale.</summary>
    public static ServedClock SimulatedIn(ClockScale scale) => new(scale, true);

    /// <summary>The simulated clock in serve:simulated:scale ("simulated").</summary>
    public static ServedClock SimulatedConfigured => new(null, true);
}
