using Sync.Clock.Abstractions;

namespace Sync.Clock.Virtio.Rtc;

/// <summary>
/// The guest side of virtio-rtc over a request channel, as strict as the Linux driver: a used length shorter
/// than the head is an error, a non-OK status maps to its errno, and an OK response whose used length is not
/// exactly the response size fails with EINVAL.
/// </summary>
public sealed class VirtioRtcDriver(IVirtioRequestChannel channel)
{
    private const int MaxMessageSize = 24;

    public ClockResult<int> ReadConfig()
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        return Call<int>(VirtioRtcMessageType.Cfg, null, request[..VirtioRtcCodec.EncodeCfg(request)],
            static response => VirtioRtcCodec.DecodeCfgResponse(response));
    }

    public ClockResult<VirtioRtcClockCapabilities> ClockCapabilities(ushort clockId)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        return Call(VirtioRtcMessageType.ClockCap, clockId, request[..VirtioRtcCodec.EncodeClockCap(request, clockId)],
            VirtioRtcCodec.DecodeClockCapResponse);
    }

    public ClockResult<bool> CrossCapabilities(ushort clockId, VirtioRtcHwCounter counter)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        return Call(VirtioRtcMessageType.CrossCap, clockId, request[..VirtioRtcCodec.EncodeCrossCap(request, clockId, counter)],
            VirtioRtcCodec.DecodeCrossCapResponse);
    }

    public ClockResult<long> Read(ushort clockId)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        return Call(VirtioRtcMessageType.Read, clockId, request[..VirtioRtcCodec.EncodeRead(request, clockId)],
            VirtioRtcCodec.DecodeReadResponse);
    }

    public ClockResult<VirtioRtcCrossReading> ReadCross(ushort clockId, VirtioRtcHwCounter counter)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        return Call(VirtioRtcMessageType.ReadCross, clockId, request[..VirtioRtcCodec.EncodeReadCross(request, clockId, counter)],
            VirtioRtcCodec.DecodeReadCrossResponse);
    }

    public ClockResult<VirtioRtcAlarm> ReadAlarm(ushort clockId)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        return Call(VirtioRtcMessageType.ReadAlarm, clockId, request[..VirtioRtcCodec.EncodeReadAlarm(request, clockId)],
            VirtioRtcCodec.DecodeReadAlarmResponse);
    }

    /// <summary>SET_ALARM; null on success.</summary>
    public ClockError? SetAlarm(ushort clockId, ulong alarmTimeNs, bool enabled)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        Span<byte> response = stackalloc byte[MaxMessageSize];
        int length = VirtioRtcCodec.EncodeSetAlarm(request, clockId, alarmTimeNs, AlarmFlags(enabled));
        return Exchange(VirtioRtcMessageType.SetAlarm, request[..length], response, clockId);
    }

    /// <summary>SET_ALARM_ENABLED; null on success.</summary>
    public ClockError? SetAlarmEnabled(ushort clockId, bool enabled)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        Span<byte> response = stackalloc byte[MaxMessageSize];
        int length = VirtioRtcCodec.EncodeSetAlarmEnabled(request, clockId, AlarmFlags(enabled));
        return Exchange(VirtioRtcMessageType.SetAlarmEnabled, request[..length], response, clockId);
    }

    private static byte AlarmFlags(bool enabled) => enabled ? VirtioRtcConstants.AlarmFlagEnabled : (byte)0;

    private delegate T Decoder<out T>(ReadOnlySpan<byte> response);

    /// <summary>One request and its decoded response, or the error <see cref="Exchange"/> found.</summary>
    private ClockResult<T> Call<T>(VirtioRtcMessageType type, ushort? clockId, ReadOnlySpan<byte> request, Decoder<T> decode)
    {
        Span<byte> response = stackalloc byte[MaxMessageSize];
        var error = Exchange(type, request, response, clockId);
        return error ?? ClockResult<T>.Ok(decode(response));
    }

    /// <summary>Submit, then check the used length and status the way the Linux driver does.</summary>
    private ClockError? Exchange(VirtioRtcMessageType type, ReadOnlySpan<byte> request, Span<byte> response, ushort? clockId)
    {
        string name = VirtioRtcNames.Request(type) ?? $"type 0x{(ushort)type:x4}";
        int expected = VirtioRtcMessageSizes.Response(type);
        response.Clear();
        int used;
        try
        {
            used = channel.Submit(request, response[..expected]);
        }
        catch (Exception ex)
        {
            return new ClockError(ClockErrorKind.Other, "EIO", $"virtio-rtc {name}{Describe(clockId)}: transport failed: {ex.Message}");
        }
        if (used < VirtioRtcConstants.ResponseHeadSize || used > expected)
            return new ClockError(ClockErrorKind.InvalidArgument, "EINVAL",
                $"virtio-rtc {name}{Describe(clockId)}: used length {used}, expected {expected}");
        var status = VirtioRtcCodec.DecodeStatus(response);
        if (status != VirtioRtcStatus.Ok)
            return StatusError(status, name, clockId);
        if (used != expected)
            return new ClockError(ClockErrorKind.InvalidArgument, "EINVAL",
                $"virtio-rtc {name}{Describe(clockId)}: used length {used}, the response is {expected} bytes");
        return null;
    }

    private static ClockError StatusError(VirtioRtcStatus status, string name, ushort? clockId)
    {
        string where = $"virtio-rtc {name}{Describe(clockId)}";
        string errno = VirtioRtcNames.Status(status);
        return status switch
        {
            VirtioRtcStatus.NotSupported => new ClockError(ClockErrorKind.NotSupported, errno, $"{where}: not supported by the device"),
            VirtioRtcStatus.NoDevice => new ClockError(ClockErrorKind.DeviceGone, errno, $"{where}: no such clock"),
            VirtioRtcStatus.InvalidArgument => new ClockError(ClockErrorKind.InvalidArgument, errno, $"{where}: the device rejected the request"),
            _ => new ClockError(ClockErrorKind.Other, errno, $"{where}: device status {(byte)status}"),
        };
    }

    private static string Describe(ushort? clockId) => clockId is { } id ? $" clock {id}" : "";
}
