using System.Buffers.Binary;

namespace Sync.Clock.VhostUser;

/// <summary>The 12-byte message header: u32 request; u32 flags; u32 size (all little-endian).</summary>
public readonly record struct VhostUserHeader(uint Request, uint Flags, uint Size)
{
    public const int Bytes = 12;
    public const uint VersionMask = 0x3;
    public const uint Version1 = 0x1;
    public const uint ReplyFlag = 0x4;
    public const uint NeedReplyFlag = 0x8;

    /// <summary>Largest payload accepted; the largest real message (SET_MEM_TABLE with 8 regions, GET_CONFIG of 256 bytes) is under 300.</summary>
    public const uint MaxPayloadBytes = 4096;

    /// <summary>Virtio feature bit 30: the back end speaks GET/SET_PROTOCOL_FEATURES.</summary>
    public const ulong ProtocolFeaturesBit = 1ul << 30;

    /// <summary>SET_VRING_KICK/CALL/ERR payload: bit 8 set means no fd (polling / no notification).</summary>
    public const ulong VringNoFdFlag = 1ul << 8;
    public const ulong VringIndexMask = 0xff;

    public bool NeedsReply => (Flags & NeedReplyFlag) != 0;

    public static VhostUserHeader Read(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(4)),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(8)));

    public void Write(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Request);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(4), Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(8), Size);
    }
}
