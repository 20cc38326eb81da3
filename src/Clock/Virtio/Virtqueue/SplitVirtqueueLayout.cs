namespace Sync.Clock.Virtio;

/// <summary>Where a split virtqueue's three parts live in guest-physical memory, and its size.</summary>
public readonly record struct SplitVirtqueueLayout(
    ushort Size,
    ulong DescriptorTableAddress,
    ulong AvailRingAddress,
    ulong UsedRingAddress)
{
    public const int MaxSize = 32768;
    public const int DescriptorBytes = 16;

    public uint DescriptorTableBytes => (uint)Size * DescriptorBytes;

    /// <summary>flags, idx, ring[Size], used_event.</summary>
    public uint AvailRingBytes => 4 + 2u * Size + 2;

    /// <summary>flags, idx, {id, len}[Size], avail_event.</summary>
    public uint UsedRingBytes => 4 + 8u * Size + 2;

    /// <summary>Virtio 1.x split ring rules: power-of-two size up to 32768, descriptor table 16-aligned, avail 2-aligned, used 4-aligned.</summary>
    public bool IsValid =>
        Size != 0 && Size <= MaxSize && (Size & (Size - 1)) == 0
        && DescriptorTableAddress % 16 == 0 && AvailRingAddress % 2 == 0 && UsedRingAddress % 4 == 0;

    /// <summary>A packed layout starting at <paramref name="baseAddress"/> (16-aligned): table, avail, used.</summary>
    public static SplitVirtqueueLayout Contiguous(ulong baseAddress, ushort size)
    {
        ulong avail = baseAddress + (ulong)size * DescriptorBytes;
        ulong used = (avail + 4 + 2ul * size + 2 + 3) & ~3ul;
        return new SplitVirtqueueLayout(size, baseAddress, avail, used);
    }

    /// <summary>Bytes a <see cref="Contiguous"/> layout occupies.</summary>
    public ulong ContiguousBytes => UsedRingAddress + UsedRingBytes - DescriptorTableAddress;
}
