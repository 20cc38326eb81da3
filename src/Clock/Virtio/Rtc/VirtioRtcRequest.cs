namespace Sync.Clock.Virtio.Rtc;

/// <summary>
/// A decoded requestq message. Fields a message type does not carry are zero: ClockId is unused by CFG,
/// HwCounter only in READ_CROSS / CROSS_CAP, AlarmTimeNs only in SET_ALARM, Flags only in SET_ALARM(_ENABLED).
/// </summary>
public readonly record struct VirtioRtcRequest(
    VirtioRtcMessageType Type,
    ushort ClockId = 0,
    VirtioRtcHwCounter HwCounter = VirtioRtcHwCounter.ArmVct,
    ulong AlarmTimeNs = 0,
    byte Flags = 0)
{
    public bool CarriesClockId => Type != VirtioRtcMessageType.Cfg;
}
