using System.Buffers.Binary;
using Sync.Filters.Time;

namespace Sync.Clock.Virtio.Rtc;

/// <summary>
/// Little-endian encoding and decoding of every virtio-rtc message. Encoders write the whole struct, reserved
/// bytes as zero, and return its size; the destination must be at least that large. Decoders of untrusted
/// input (requests on the device side) never throw.
/// </summary>
public static class VirtioRtcCodec
{
    // ---- requests (driver -> device) ----

    public static int EncodeRead(Span<byte> destination, ushort clockId) =>
        EncodeClockRequest(destination, VirtioRtcMessageType.Read, clockId);

    public static int EncodeReadCross(Span<byte> destination, ushort clockId, VirtioRtcHwCounter counter)
    {
        int size = EncodeClockRequest(destination, VirtioRtcMessageType.ReadCross, clockId);
        destination[10] = (byte)counter;
        return size;
    }

    public static int EncodeCfg(Span<byte> destination)
    {
        var message = Begin(destination, VirtioRtcMessageSizes.Request(VirtioRtcMessageType.Cfg));
        BinaryPrimitives.WriteUInt16LittleEndian(message, (ushort)VirtioRtcMessageType.Cfg);
        return message.Length;
    }

    public static int EncodeClockCap(Span<byte> destination, ushort clockId) =>
        EncodeClockRequest(destination, VirtioRtcMessageType.ClockCap, clockId);

    public static int EncodeCrossCap(Span<byte> destination, ushort clockId, VirtioRtcHwCounter counter)
    {
        int size = EncodeClockRequest(destination, VirtioRtcMessageType.CrossCap, clockId);
        destination[10] = (byte)counter;
        return size;
    }

    public static int EncodeReadAlarm(Span<byte> destination, ushort clockId) =>
        EncodeClockRequest(destination, VirtioRtcMessageType.ReadAlarm, clockId);

    /// <summary>SET_ALARM: head, le64 alarm_time, le16 clock_id, u8 flags, u8 reserved[5].</summary>
    public static int EncodeSetAlarm(Span<byte> destination, ushort clockId, ulong alarmTimeNs, byte flags)
    {
        var message = Begin(destination, VirtioRtcMessageSizes.Request(VirtioRtcMessageType.SetAlarm));
        BinaryPrimitives.WriteUInt16LittleEndian(message, (ushort)VirtioRtcMessageType.SetAlarm);
        BinaryPrimitives.WriteUInt64LittleEndian(message[8..], alarmTimeNs);
        BinaryPrimitives.WriteUInt16LittleEndian(message[16..], clockId);
        message[18] = flags;
        return message.Length;
    }

    /// <summary>SET_ALARM_ENABLED: head, le16 clock_id, u8 flags, u8 reserved[5].</summary>
    public static int EncodeSetAlarmEnabled(Span<byte> destination, ushort clockId, byte flags)
    {
        int size = EncodeClockRequest(destination, VirtioRtcMessageType.SetAlarmEnabled, clockId);
        destination[10] = flags;
        return size;
    }

    /// <summary>
    /// Decode a request from the device-readable bytes. Returns Ok, or the status the device must answer:
    /// InvalidArgument when shorter than the head or than the message type's request, NotSupported for an
    /// unknown message type. Bytes beyond the request struct are ignored. Never throws.
    /// </summary>
    public static VirtioRtcStatus TryDecodeRequest(ReadOnlySpan<byte> readable, out VirtioRtcRequest request)
    {
        request = default;
        if (readable.Length < VirtioRtcConstants.RequestHeadSize)
            return VirtioRtcStatus.InvalidArgument;
        var type = (VirtioRtcMessageType)BinaryPrimitives.ReadUInt16LittleEndian(readable);
        int size = VirtioRtcMessageSizes.Request(type);
        if (size == 0)
            return VirtioRtcStatus.NotSupported;
        if (readable.Length < size)
        {
            request = new VirtioRtcRequest(type);
            return VirtioRtcStatus.InvalidArgument;
        }
        request = type switch
        {
            VirtioRtcMessageType.Cfg => new VirtioRtcRequest(type),
            VirtioRtcMessageType.SetAlarm => new VirtioRtcRequest(type,
                ClockId: BinaryPrimitives.ReadUInt16LittleEndian(readable[16..]),
                AlarmTimeNs: BinaryPrimitives.ReadUInt64LittleEndian(readable[8..]),
                Flags: readable[18]),
            VirtioRtcMessageType.ReadCross or VirtioRtcMessageType.CrossCap => new VirtioRtcRequest(type,
                ClockId: BinaryPrimitives.ReadUInt16LittleEndian(readable[8..]),
                HwCounter: (VirtioRtcHwCounter)readable[10]),
            VirtioRtcMessageType.SetAlarmEnabled => new VirtioRtcRequest(type,
                ClockId: BinaryPrimitives.ReadUInt16LittleEndian(readable[8..]),
                Flags: readable[10]),
            _ => new VirtioRtcRequest(type, ClockId: BinaryPrimitives.ReadUInt16LittleEndian(readable[8..])),
        };
        return VirtioRtcStatus.Ok;
    }

    // ---- responses (device -> driver) ----

    /// <summary>A head-only response (error replies, SET_ALARM and SET_ALARM_ENABLED): 8 bytes.</summary>
    public static int EncodeResponseHead(Span<byte> destination, VirtioRtcStatus status)
    {
        var message = Begin(destination, VirtioRtcConstants.ResponseHeadSize);
        message[0] = (byte)status;
        return message.Length;
    }

    public static int EncodeReadResponse(Span<byte> destination, long clockReadingNs)
    {
        var message = BeginOk(destination, VirtioRtcMessageType.Read);
        BinaryPrimitives.WriteInt64LittleEndian(message[8..], clockReadingNs);
        return message.Length;
    }

    public static int EncodeReadCrossResponse(Span<byte> destination, long clockReadingNs, ulong counterCycles)
    {
        var message = BeginOk(destination, VirtioRtcMessageType.ReadCross);
        BinaryPrimitives.WriteInt64LittleEndian(message[8..], clockReadingNs);
        BinaryPrimitives.WriteUInt64LittleEndian(message[16..], counterCycles);
        return message.Length;
    }

    public static int EncodeCfgResponse(Span<byte> destination, ushort numClocks)
    {
        var message = BeginOk(destination, VirtioRtcMessageType.Cfg);
        BinaryPrimitives.WriteUInt16LittleEndian(message[8..], numClocks);
        return message.Length;
    }

    public static int EncodeClockCapResponse(Span<byte> destination, TimeScale type, SmearVariant smearing, byte flags)
    {
        var message = BeginOk(destination, VirtioRtcMessageType.ClockCap);
        message[8] = (byte)type;
        message[9] = (byte)smearing;
        message[10] = flags;
        return message.Length;
    }

    public static int EncodeCrossCapResponse(Span<byte> destination, byte flags)
    {
        var message = BeginOk(destination, VirtioRtcMessageType.CrossCap);
        message[8] = flags;
        return message.Length;
    }

    public static int EncodeReadAlarmResponse(Span<byte> destination, ulong alarmTimeNs, byte flags)
    {
        var message = BeginOk(destination, VirtioRtcMessageType.ReadAlarm);
        BinaryPrimitives.WriteUInt64LittleEndian(message[8..], alarmTimeNs);
        message[16] = flags;
        return message.Length;
    }

    /// <summary>Alarm notification on alarmq: le16 msg_type 0x2000, u8 reserved[6], le16 clock_id, u8 reserved[6].</summary>
    public static int EncodeAlarmNotification(Span<byte> destination, ushort clockId)
    {
        var message = Begin(destination, VirtioRtcConstants.AlarmNotificationSize);
        BinaryPrimitives.WriteUInt16LittleEndian(message, (ushort)VirtioRtcMessageType.AlarmNotification);
        BinaryPrimitives.WriteUInt16LittleEndian(message[8..], clockId);
        return message.Length;
    }

    /// <summary>The status byte of a response; the caller has checked it holds at least the 8-byte head.</summary>
    public static VirtioRtcStatus DecodeStatus(ReadOnlySpan<byte> response) => (VirtioRtcStatus)response[0];

    public static long DecodeReadResponse(ReadOnlySpan<byte> response) =>
        BinaryPrimitives.ReadInt64LittleEndian(response[8..]);

    public static VirtioRtcCrossReading DecodeReadCrossResponse(ReadOnlySpan<byte> response) =>
        new(BinaryPrimitives.ReadInt64LittleEndian(response[8..]), BinaryPrimitives.ReadUInt64LittleEndian(response[16..]));

    public static ushort DecodeCfgResponse(ReadOnlySpan<byte> response) =>
        BinaryPrimitives.ReadUInt16LittleEndian(response[8..]);

    public static VirtioRtcClockCapabilities DecodeClockCapResponse(ReadOnlySpan<byte> response) =>
        new((TimeScale)response[8], (SmearVariant)response[9], (response[10] & VirtioRtcConstants.ClockCapFlagAlarm) != 0);

    public static bool DecodeCrossCapResponse(ReadOnlySpan<byte> response) =>
        (response[8] & VirtioRtcConstants.CrossCapFlagCrossCap) != 0;

    public static VirtioRtcAlarm DecodeReadAlarmResponse(ReadOnlySpan<byte> response) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(response[8..]), (response[16] & VirtioRtcConstants.AlarmFlagEnabled) != 0);

    /// <summary>Decode an alarmq buffer; false when it is shorter than 16 bytes or not an alarm notification.</summary>
    public static bool TryDecodeAlarmNotification(ReadOnlySpan<byte> buffer, out ushort clockId)
    {
        clockId = 0;
        if (buffer.Length < VirtioRtcConstants.AlarmNotificationSize
            || BinaryPrimitives.ReadUInt16LittleEndian(buffer) != (ushort)VirtioRtcMessageType.AlarmNotification)
            return false;
        clockId = BinaryPrimitives.ReadUInt16LittleEndian(buffer[8..]);
        return true;
    }

    private static int EncodeClockRequest(Span<byte> destination, VirtioRtcMessageType type, ushort clockId)
    {
        var message = Begin(destination, VirtioRtcMessageSizes.Request(type));
        BinaryPrimitives.WriteUInt16LittleEndian(message, (ushort)type);
        BinaryPrimitives.WriteUInt16LittleEndian(message[8..], clockId);
        return message.Length;
    }

    private static Span<byte> BeginOk(Span<byte> destination, VirtioRtcMessageType type) =>
        Begin(destination, VirtioRtcMessageSizes.Response(type));

    private static Span<byte> Begin(Span<byte> destination, int size)
    {
        if (destination.Length < size)
            throw new ArgumentException($"destination holds {destination.Length} bytes, the message needs {size}", nameof(destination));
        var message = destination[..size];
        message.Clear();
        return message;
    }
}
