using Sync.Clock.Virtio;

namespace Sync.Clock.VhostUser;

/// <summary>Settings of a <see cref="VhostUserServer"/>.</summary>
public sealed record VhostUserServerOptions
{
    /// <summary>Unix socket path the server listens on (its directory is created), or connects to in <see cref="VhostUserSocketRole.Connect"/>.</summary>
    public required string SocketPath { get; init; }

    /// <summary>Listen for front ends (QEMU's default) or connect to a front end that listens (QEMU `-chardev socket,server=on`).</summary>
    public VhostUserSocketRole Role { get; init; } = VhostUserSocketRole.Listen;

    /// <summary>In <see cref="VhostUserSocketRole.Connect"/>: how long to wait before connecting again after a failed attempt or a closed connection.</summary>
    public TimeSpan ReconnectInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Permission bits of the socket file (default 0660: owner and group may connect).</summary>
    public UnixFileMode SocketMode { get; init; } =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>Default of <see cref="MaxConnections"/>: a thousand VMs per host with room to spare.</summary>
    public const int DefaultMaxConnections = 1024;

    /// <summary>
    /// Group the socket file is given after bind (serve:socketGroup), e.g. kvm's gid so QEMU run by libvirt
    /// (libvirt-qemu:kvm) may connect with a 0660 socket; -1: the process's group. The process must be in it (or root).
    /// </summary>
    public int SocketGroupId { get; init; } = -1;

    /// <summary>Connections served at once (serve:maxConnections); further clients are accepted and closed at once.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>
    /// A front end that has not sent SET_OWNER this long after connecting is dropped (serve:handshakeTimeoutSeconds),
    /// so silent connections cannot hold slots under <see cref="MaxConnections"/>. QEMU sends it at once. Zero: never.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A connection with no message and no kick this long is dropped (serve:idleTimeoutSeconds). Zero (default):
    /// never, since a guest without the virtio_rtc driver is silent for its whole life.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// SCHED_FIFO priority (1-99) of the thread that serves every connection (serve:realtimePriority), so a READ is
    /// answered at once however busy the host's CPUs are; 0 (default): the normal scheduler with the shortest EEVDF
    /// slice. Needs CAP_SYS_NICE or RLIMIT_RTPRIO >= the priority; without either it is logged and ignored.
    /// </summary>
    public int RealtimePriority { get; init; }

    /// <summary>A refusal over <see cref="MaxConnections"/> is logged at most this often (the count of the others with it).</summary>
    public TimeSpan RefusalLogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Ring features the transport implements and offers on top of the device's features.</summary>
    public ulong TransportFeatures { get; init; } =
        VirtqueueFeatures.Version1 | VirtqueueFeatures.IndirectDescriptors | VirtqueueFeatures.EventIndex;

    /// <summary>
    /// Protocol features offered: only what the device uses. CONFIG is not offered (virtio-rtc has no config space,
    /// and QEMU 11.1 warns at every connection when a back end offers it); GET_CONFIG is still answered with zeros
    /// for a front end that asks anyway. CONFIGURE_MEM_SLOTS is implemented but off by default (QEMU 11 was
    /// observed with SET_MEM_TABLE).
    /// </summary>
    public VhostUserProtocolFeatures ProtocolFeatures { get; init; } =
        VhostUserProtocolFeatures.MultiQueue | VhostUserProtocolFeatures.ReplyAck
        | VhostUserProtocolFeatures.ResetDevice | VhostUserProtocolFeatures.Status;

    /// <summary>
    /// Where each connection keeps its state file for a restart (with <see cref="FileDescriptorStore"/>); also
    /// read when fds are handed over at start. Null: connections do not survive a restart.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>Where connections keep their fds across a restart or crash (systemd's fd store); null: nowhere.</summary>
    public IFileDescriptorStore? FileDescriptorStore { get; init; }

    /// <summary>Largest device-readable request and device-writable response per chain.</summary>
    public int MaxRequestBytes { get; init; } = 4096;
    public int MaxResponseBytes { get; init; } = 4096;
}
