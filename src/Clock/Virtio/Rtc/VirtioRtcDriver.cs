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
        Span<byte> response = stackalloc byte[MaxMessageSize];
        int length = VirtioRtcCodec.EncodeCfg(request);
        var error = Exchange(VirtioRtcMessageType.Cfg, request[..length], response, "CFG", null);
        return error ?? ClockResult<int>.Ok(VirtioRtcCodec.DecodeCfgResponse(response));
    }

    public ClockResult<VirtioRtcClockCapabilities> ClockCapabilities(ushort clockId)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        Span<byte> response = stackalloc byte[MaxMessageSize];
        int length = VirtioRtcCodec.EncodeClockCap(request, clockId);
        var error = Exchange(VirtioRtcMessageType.ClockCap, request[..length], response, "CLOCK_CAP", clockId);
        return error ?? ClockResult<VirtioRtcClockCapabilities>.Ok(VirtioRtcCodec.DecodeClockCapResponse(response));
    }

    public ClockResult<bool> CrossCapabilities(ushort clockId, VirtioRtcHwCounter counter)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        Span<byte> response = stackalloc byte[MaxMessageSize];
        int length = VirtioRtcCodec.EncodeCrossCap(request, clockId, counter);
        var error = Exchange(VirtioRtcMessageType.CrossCap, request[..length], response, "CROSS_CAP", clockId);
        return error ?? ClockResult<bool>.Ok(VirtioRtcCodec.DecodeCrossCapResponse(response));
    }

    public ClockResult<long> Read(ushort clockId)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        Span<byte> response = stackalloc byte[MaxMessageSize];
        int length = VirtioRtcCodec.EncodeRead(request, clockId);
        var error = Exchange(VirtioRtcMessageType.Read, request[..length], response, "READ", clockId);
        return error ?? ClockResult<long>.Ok(VirtioRtcCodec.DecodeReadResponse(response));
    }

    public ClockResult<VirtioRtcCrossReading> ReadCross(ushort clockId, VirtioRtcHwCounter counter)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        Span<byte> response = stackalloc byte[MaxMessageSize];
        int length = VirtioRtcCodec.EncodeReadCross(request, clockId, counter);
        var error = Exchange(VirtioRtcMessageType.ReadCross, request[..length], response, "READ_CROSS", clockId);
        return error ?? ClockResult<VirtioRtcCrossReading>.Ok(VirtioRtcCodec.DecodeReadCrossResponse(response));
    }

    public ClockResult<VirtioRtcAlarm> ReadAlarm(ushort clockId)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        Span<byte> response = stackalloc byte[MaxMessageSize];
        int length = VirtioRtcCodec.EncodeReadAlarm(request, clockId);
        var error = Exchange(VirtioRtcMessageType.ReadAlarm, request[..length], response, "READ_ALARM", clockId);
        return error ?? ClockResult<VirtioRtcAlarm>.Ok(VirtioRtcCodec.DecodeReadAlarmResponse(response));
    }

    /// <summary>SET_ALARM; null on success.</summary>
    public ClockError? SetAlarm(ushort clockId, ulong alarmTimeNs, bool enabled)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        Span<byte> response = stackalloc byte[MaxMessageSize];
        int length = VirtioRtcCodec.EncodeSetAlarm(request, clockId, alarmTimeNs, enabled ? VirtioRtcConstants.AlarmFlagEnabled : (byte)0);
        return Exchange(VirtioRtcMessageType.SetAlarm, request[..length], response, "SET_ALARM", clockId);
    }

    /// <summary>SET_ALARM_ENABLED; null on success.</summary>
    public ClockError? SetAlarmEnabled(ushort clockId, bool enabled)
    {
        Span<byte> request = stackalloc byte[MaxMessageSize];
        Span<byte> response = stackalloc byte[MaxMessageSize];
        int length = VirtioRtcCodec.EncodeSetAlarmEnabled(request, clockId, enabled ? VirtioRtcConstants.AlarmFlagEnabled : (byte)0);
        return Exchange(VirtioRtcMessageType.SetAlarmEnabled, request[..length], response, "SET_ALARM_ENABLED", clockId);
    }

    /// <summary>Submit, then check the used length and status the way the Linux driver does.</summary>
    private ClockError? Exchange(VirtioRtcMessageType type, ReadOnlySpan<byte> request, Span<byte> response, string name, ushort? clockId)
    {
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
        return status switch
        {
            VirtioRtcStatus.NotSupported => new ClockError(ClockErrorKind.NotSupported, "EOPNOTSUPP", $"{where}: not supported by the device"),
            VirtioRtcStatus.NoDevice => new ClockError(ClockErrorKind.DeviceGone, "ENODEV", $"{where}: no such clock"),
            VirtioRtcStatus.InvalidArgument => new ClockError(ClockErrorKind.InvalidArgument, "EINVAL", $"{where}: the device rejected the request"),
            _ => new ClockError(ClockErrorKind.Other, "EIO", $"{where}: device status {(byte)status}"),
        };
    }

    private static string Describe(ushort? clockId) => clockId is { } id ? $" clock {id}" : "";
}
