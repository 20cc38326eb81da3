namespace Sync.Clock.VhostUser;

/// <summary>One vhost-user memory region as the front end describes it (SET_MEM_TABLE, ADD_MEM_REG).</summary>
public readonly record struct GuestMemoryRegion(
    ulong GuestPhysicalAddress,
    ulong SizeBytes,
    ulong FrontEndVirtualAddress,
    ulong MmapOffset)
{
    public bool ContainsGuestPhysical(ulong address, ulong length) =>
        address >= GuestPhysicalAddress
        && address - GuestPhysicalAddress <= SizeBytes
        && length <= SizeBytes - (address - GuestPhysicalAddress);

    public bool OverlapsGuestPhysical(GuestMemoryRegion other) =>
        GuestPhysicalAddress < other.GuestPhysicalAddress + other.SizeBytes
        && other.GuestPhysicalAddress < GuestPhysicalAddress + SizeBytes;

    /// <summary>Sizes non-zero and no 64-bit overflow of any end address.</summary>
    public bool IsWellFormed =>
        SizeBytes != 0
        && GuestPhysicalAddress <= ulong.MaxValue - SizeBytes
        && FrontEndVirtualAddress <= ulong.MaxValue - SizeBytes
        && MmapOffset <= ulong.MaxValue - SizeBytes;
}
