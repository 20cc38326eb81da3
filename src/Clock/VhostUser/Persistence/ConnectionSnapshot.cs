namespace Sync.Clock.VhostUser;

/// <summary>
/// What a <see cref="VhostUserConnection"/> must know to take over its front end after a restart, besides the fds
/// themselves (those live in the fd store under <see cref="FdStoreName"/>s).
/// </summary>
public sealed record ConnectionSnapshot(
    int ConnectionId,
    ulong AckedFeatures,
    ulong ProtocolFeatures,
    ulong Status,
    IReadOnlyList<SnapshotMemoryRegion> Regions,
    IReadOnlyList<SnapshotVring> Vrings)
{
    /// <summary>The device's own state (<see cref="Virtio.IPersistentVirtioDevice"/>: virtio-rtc's alarms); empty: none.</summary>
    public byte[] DeviceState { get; init; } = [];
}

/// <summary>
/// A mapped memory region, its slot, and the slot whose stored fd (vu{id}-mem{FdSlot}) maps it: its own, or an
/// earlier region's when both come from the same file (QEMU splits one memfd around the PCI hole; systemd's store
/// keeps one fd per open file, so the second would be dropped).
/// </summary>
public readonly record struct SnapshotMemoryRegion(int Slot, GuestMemoryRegion Region, int FdSlot);

/// <summary>One vring as the front end set it up. Base is the next avail index when the ring is not running.</summary>
public readonly record struct SnapshotVring(
    ushort Size,
    ushort Base,
    bool AddressSet,
    bool Enabled,
    bool HasKick,
    bool HasCall,
    bool HasErr,
    ulong DescriptorFrontEndAddress,
    ulong AvailFrontEndAddress,
    ulong UsedFrontEndAddress);
