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
    IReadOnlyList<SnapshotVring> Vrings);

/// <summary>A mapped memory region and the slot of its fd (vu{id}-mem{slot}).</summary>
public readonly record struct SnapshotMemoryRegion(int Slot, GuestMemoryRegion Region);

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
