using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Sync.Clock.Virtio;

/// <summary>
/// A split ring's le16 fields the other side writes concurrently (flags, idx, used_event, avail_event): each is read
/// and written once, as one atomic 16-bit access, for the device side (<see cref="SplitVirtqueue"/>) and the
/// driver side (<see cref="SplitVirtqueueDriver"/>) alike.
/// </summary>
internal static class RingIndex
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Read(Span<byte> ring, int offset)
    {
        ushort value = Volatile.Read(ref Unsafe.As<byte, ushort>(ref ring[offset]));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(Span<byte> ring, int offset, ushort value)
    {
        ushort stored = BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
        Volatile.Write(ref Unsafe.As<byte, ushort>(ref ring[offset]), stored);
    }
}
