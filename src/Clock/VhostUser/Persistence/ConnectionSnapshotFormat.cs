using System.Buffers.Binary;

namespace Sync.Clock.VhostUser;

/// <summary>
/// The state file of one connection, little-endian binary:
/// <code>
/// "VSVUSTA2" (8 bytes magic, version in the last byte; "VSVUSTA1" files, without the device state, are read too)
/// u32 connection id, u64 acked features, u64 protocol features, u64 status
/// u32 region count (≤ 32), each: u32 slot, u64 guest phys addr, u64 size, u64 userspace addr, u64 mmap offset,
///     u32 fd slot (the region whose stored fd maps this one: itself, or an earlier region of the same file)
/// u32 vring count (≤ 64), each: u16 num, u16 base, u8 flags (1 addr set, 2 enabled, 4 kick, 8 call, 16 err),
///     u64 desc, u64 avail, u64 used (front-end virtual addresses)
/// u32 device state length (≤ 64 KiB), the device state (version 2)
/// u64 FNV-1a 64 of everything before it
/// </code>
/// Decoding checks the magic, every count and length and the checksum; it never throws.
/// </summary>
public static class ConnectionSnapshotFormat
{
    public const int MaxRegions = MappedGuestMemory.MaxRegions;
    public const int MaxVrings = 64;

    private static ReadOnlySpan<byte> Magic => "VSVUSTA2"u8;
    private static ReadOnlySpan<byte> MagicVersion1 => "VSVUSTA1"u8;
    public const int MaxDeviceStateBytes = 64 * 1024;
    private const int HeaderBytes = 8 + 4 + 8 + 8 + 8;
    private const int RegionBytes = 4 + 8 * 4 + 4;
    private const int VringBytes = 2 + 2 + 1 + 8 * 3;
    private const byte FlagAddressSet = 1, FlagEnabled = 2, FlagKick = 4, FlagCall = 8, FlagErr = 16;

    public static byte[] Encode(ConnectionSnapshot snapshot)
    {
        if (snapshot.Regions.Count > MaxRegions || snapshot.Vrings.Count > MaxVrings || snapshot.DeviceState.Length > MaxDeviceStateBytes)
        {
            throw new ArgumentException("too many regions or vrings for a state file", nameof(snapshot));
        }
        var bytes = new byte[HeaderBytes + 4 + snapshot.Regions.Count * RegionBytes + 4 + snapshot.Vrings.Count * VringBytes
            + 4 + snapshot.DeviceState.Length + 8];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        int at = 8;
        BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at), snapshot.ConnectionId); at += 4;
        BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at), snapshot.AckedFeatures); at += 8;
        BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at), snapshot.ProtocolFeatures); at += 8;
        BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at), snapshot.Status); at += 8;
        BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at), snapshot.Regions.Count); at += 4;
        foreach (var (slot, region, fdSlot) in snapshot.Regions)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at), slot);
            BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at + 36), fdSlot);
            BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at + 4), region.GuestPhysicalAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at + 12), region.SizeBytes);
            BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at + 20), region.FrontEndVirtualAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at + 28), region.MmapOffset);
            at += RegionBytes;
        }
        BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at), snapshot.Vrings.Count); at += 4;
        foreach (var vring in snapshot.Vrings)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(at), vring.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(at + 2), vring.Base);
            span[at + 4] = (byte)((vring.AddressSet ? FlagAddressSet : 0) | (vring.Enabled ? FlagEnabled : 0)
                | (vring.HasKick ? FlagKick : 0) | (vring.HasCall ? FlagCall : 0) | (vring.HasErr ? FlagErr : 0));
            BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at + 5), vring.DescriptorFrontEndAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at + 13), vring.AvailFrontEndAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at + 21), vring.UsedFrontEndAddress);
            at += VringBytes;
        }
        BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at), snapshot.DeviceState.Length); at += 4;
        snapshot.DeviceState.CopyTo(span.Slice(at)); at += snapshot.DeviceState.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(at), Fnv1a64(span.Slice(0, at)));
        return bytes;
    }

    public static bool TryDecode(ReadOnlySpan<byte> bytes, out ConnectionSnapshot snapshot, out string problem)
    {
        snapshot = null!;
        bool version1 = bytes.StartsWith(MagicVersion1);
        if (bytes.Length < HeaderBytes + 4 + 4 + 8 || !(bytes.StartsWith(Magic) || version1))
        {
            problem = bytes.Length >= 8 && bytes.StartsWith(Magic.Slice(0, 7)) ? "unsupported state file version" : "not a vhost-user state file (bad magic or too short)";
            return false;
        }
        if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(bytes.Length - 8)) != Fnv1a64(bytes.Slice(0, bytes.Length - 8)))
        {
            problem = "checksum mismatch";
            return false;
        }
        int at = 8;
        int id = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(at)); at += 4;
        ulong acked = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(at)); at += 8;
        ulong protocol = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(at)); at += 8;
        ulong status = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(at)); at += 8;
        int regionCount = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(at)); at += 4;
        if (regionCount < 0 || regionCount > MaxRegions || bytes.Length - at < (long)regionCount * RegionBytes + 4 + 8)
        {
            problem = $"region count {regionCount} does not fit the file";
            return false;
        }
        var regions = new SnapshotMemoryRegion[regionCount];
        for (int i = 0; i < regionCount; i++, at += RegionBytes)
        {
            int slot = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(at));
            if (slot < 0 || slot >= MaxRegions)
            {
                problem = $"region slot {slot} out of range";
                return false;
            }
            regions[i] = new SnapshotMemoryRegion(slot, new GuestMemoryRegion(
                BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(at + 4)),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(at + 12)),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(at + 20)),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(at + 28))),
                BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(at + 36)));
        }
        int vringCount = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(at)); at += 4;
        long tail = bytes.Length - at - (long)vringCount * VringBytes - 8; // version 2: u32 length + device state
        if (vringCount < 0 || vringCount > MaxVrings || (version1 ? tail != 0 : tail < 4))
        {
            problem = $"vring count {vringCount} does not fit the file";
            return false;
        }
        var vrings = new SnapshotVring[vringCount];
        for (int i = 0; i < vringCount; i++, at += VringBytes)
        {
            byte flags = bytes[at + 4];
            vrings[i] = new SnapshotVring(
                BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(at)),
                BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(at + 2)),
                (flags & FlagAddressSet) != 0, (flags & FlagEnabled) != 0,
                (flags & FlagKick) != 0, (flags & FlagCall) != 0, (flags & FlagErr) != 0,
                BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(at + 5)),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(at + 13)),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(at + 21)));
        }
        byte[] deviceState = [];
        if (!version1)
        {
            int stateLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(at)); at += 4;
            if (stateLength < 0 || stateLength > MaxDeviceStateBytes || bytes.Length - at != (long)stateLength + 8)
            {
                problem = $"device state of {stateLength} bytes does not fit the file";
                return false;
            }
            deviceState = bytes.Slice(at, stateLength).ToArray();
        }
        if (regions.Select(r => r.Slot).Distinct().Count() != regions.Length)
        {
            problem = "two regions share a slot";
            return false;
        }
        if (regions.Any(r => !regions.Any(owner => owner.Slot == r.FdSlot && owner.FdSlot == owner.Slot)))
        {
            problem = "a region's fd slot names no region that has its own fd";
            return false;
        }
        snapshot = new ConnectionSnapshot(id, acked, protocol, status, regions, vrings) { DeviceState = deviceState };
        problem = "";
        return true;
    }

    private static ulong Fnv1a64(ReadOnlySpan<byte> bytes)
    {
        ulong hash = 0xcbf29ce484222325;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 0x100000001b3;
        }
        return hash;
    }
}
