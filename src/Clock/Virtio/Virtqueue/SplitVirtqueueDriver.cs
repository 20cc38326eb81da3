using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Sync.Clock.Virtio;

/// <summary>
/// The driver (guest) side of a split virtqueue over <see cref="IGuestMemory"/>: writes descriptors, makes
/// chains available, reads used entries. Used by the in-memory transport, the test front end and the fuzzer.
/// Trusts its caller (this is the guest's side), but never touches memory outside the rings it was given.
/// </summary>
public sealed class SplitVirtqueueDriver
{
    private readonly IGuestMemory _memory;
    private ushort _availIndex;
    private ushort _lastSeenUsed;

    public SplitVirtqueueDriver(IGuestMemory memory, SplitVirtqueueLayout layout)
    {
        if (!layout.IsValid)
        {
            throw new ArgumentException("invalid split virtqueue layout", nameof(layout));
        }
        _memory = memory;
        Layout = layout;
        Ring(layout.DescriptorTableAddress, layout.DescriptorTableBytes).Clear();
        Ring(layout.AvailRingAddress, layout.AvailRingBytes).Clear();
        Ring(layout.UsedRingAddress, layout.UsedRingBytes).Clear();
    }

    public SplitVirtqueueLayout Layout { get; }
    public ushort AvailIndex => _availIndex;

    public void WriteDescriptor(int index, ulong address, uint length, ushort flags, ushort next)
    {
        var entry = Ring(Layout.DescriptorTableAddress, Layout.DescriptorTableBytes).Slice(index * 16, 16);
        WriteDescriptorTo(entry, address, length, flags, next);
    }

    public static void WriteDescriptorTo(Span<byte> entry, ulong address, uint length, ushort flags, ushort next)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(entry, address);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.Slice(8), length);
        BinaryPrimitives.WriteUInt16LittleEndian(entry.Slice(12), flags);
        BinaryPrimitives.WriteUInt16LittleEndian(entry.Slice(14), next);
    }

    /// <summary>Puts <paramref name="head"/> in the next avail slot and publishes avail.idx (release).</summary>
    public void MakeAvailable(ushort head)
    {
        var avail = Ring(Layout.AvailRingAddress, Layout.AvailRingBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(avail.Slice(4 + 2 * (_availIndex & (Layout.Size - 1)), 2), head);
        _availIndex++;
        WriteIndex(avail, 2, _availIndex);
    }

    /// <summary>Writes a raw avail.idx (fuzzing: claims without matching ring entries).</summary>
    public void SetAvailIndex(ushort value)
    {
        _availIndex = value;
        WriteIndex(Ring(Layout.AvailRingAddress, Layout.AvailRingBytes), 2, value);
    }

    public void SetAvailFlags(ushort flags) => WriteIndex(Ring(Layout.AvailRingAddress, Layout.AvailRingBytes), 0, flags);

    public void SetUsedEvent(ushort value) =>
        WriteIndex(Ring(Layout.AvailRingAddress, Layout.AvailRingBytes), 4 + 2 * Layout.Size, value);

    public ushort ReadAvailEvent() => ReadIndex(Ring(Layout.UsedRingAddress, Layout.UsedRingBytes), 4 + 8 * Layout.Size);

    public ushort UsedIndex => ReadIndex(Ring(Layout.UsedRingAddress, Layout.UsedRingBytes), 2);

    /// <summary>Takes the next used entry, if the device published one.</summary>
    public bool TryTakeUsed(out uint id, out uint length)
    {
        var used = Ring(Layout.UsedRingAddress, Layout.UsedRingBytes);
        if (ReadIndex(used, 2) == _lastSeenUsed)
        {
            id = 0;
            length = 0;
            return false;
        }
        int element = 4 + 8 * (_lastSeenUsed & (Layout.Size - 1));
        id = BinaryPrimitives.ReadUInt32LittleEndian(used.Slice(element, 4));
        length = BinaryPrimitives.ReadUInt32LittleEndian(used.Slice(element + 4, 4));
        _lastSeenUsed++;
        return true;
    }

    private Span<byte> Ring(ulong address, uint length) =>
        _memory.TryGetSpan(address, length, out var span)
            ? span
            : throw new InvalidOperationException($"ring at 0x{address:x} ({length} bytes) is outside guest memory");

    private static ushort ReadIndex(Span<byte> ring, int offset)
    {
        ushort value = Volatile.Read(ref Unsafe.As<byte, ushort>(ref ring[offset]));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    private static void WriteIndex(Span<byte> ring, int offset, ushort value)
    {
        ushort stored = BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
        Volatile.Write(ref Unsafe.As<byte, ushort>(ref ring[offset]), stored);
    }
}
