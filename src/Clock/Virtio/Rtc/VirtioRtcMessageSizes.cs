namespace Sync.Clock.Virtio.Rtc;

/// <summary>
/// Request and response sizes per message type. The Linux driver fails a call whose used length is not exactly
/// the response size, so the device must write exactly these many bytes on success.
/// </summary>
public static class VirtioRtcMessageSizes
{
    /// <summary>Size of the full request struct, or 0 for an unknown message type.</summary>
    public static int Request(VirtioRtcMessageType type) => type switch
    {
        VirtioRtcMessageType.Read => 16,
        VirtioRtcMessageType.ReadCross => 16,
        VirtioRtcMessageType.Cfg => 8,
        VirtioRtcMessageType.ClockCap => 16,
        VirtioRtcMessageType.CrossCap => 16,
        VirtioRtcMessageType.ReadAlarm => 16,
        VirtioRtcMessageType.SetAlarm => 24,
        VirtioRtcMessageType.SetAlarmEnabled => 16,
        _ => 0,
    };

    /// <summary>Size of the full response struct (head included), or 0 for an unknown message type.</summary>
    public static int Response(VirtioRtcMessageType type) => type switch
    {
        VirtioRtcMessageType.Read => 16,
        VirtioRtcMessageType.ReadCross => 24,
        VirtioRtcMessageType.Cfg => 16,
        VirtioRtcMessageType.ClockCap => 16,
        VirtioRtcMessageType.CrossCap => 16,
        VirtioRtcMessageType.ReadAlarm => 24,
        VirtioRtcMessageType.SetAlarm => 8,
        VirtioRtcMessageType.SetAlarmEnabled => 8,
        _ => 0,
    };

    public static bool IsRequest(VirtioRtcMessageType type) => Request(type) != 0;
}
