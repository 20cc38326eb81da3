namespace Sync.Clock.Virtio.Rtc;

/// <summary>virtio-rtc msg_type values: requests on requestq and the alarm notification on alarmq.</summary>
public enum VirtioRtcMessageType : ushort
{
    Read = 0x0001,
    ReadCross = 0x0002,
    Cfg = 0x1000,
    ClockCap = 0x1001,
    CrossCap = 0x1002,
    ReadAlarm = 0x1003,
    SetAlarm = 0x1004,
    SetAlarmEnabled = 0x1005,
    AlarmNotification = 0x2000,
}
