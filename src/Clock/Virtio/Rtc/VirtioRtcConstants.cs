namespace Sync.Clock.Virtio.Rtc;

/// <summary>Fixed numbers of the virtio-rtc device (VIRTIO 1.4 "RTC Device", linux/virtio_rtc.h).</summary>
public static class VirtioRtcConstants
{
    public const uint DeviceId = 17;

    public const int RequestQueueIndex = 0;
    public const int AlarmQueueIndex = 1;

    /// <summary>VIRTIO_RTC_F_ALARM (feature bit 0).</summary>
    public const ulong FeatureAlarm = 1UL << 0;
    /// <summary>VIRTIO_F_VERSION_1 (feature bit 32).</summary>
    public const ulong FeatureVersion1 = 1UL << 32;

    /// <summary>CLOCK_CAP flags bit 0: the clock supports alarms.</summary>
    public const byte ClockCapFlagAlarm = 0x01;
    /// <summary>CROSS_CAP flags bit 0: cross-timestamping with the named counter is supported.</summary>
    public const byte CrossCapFlagCrossCap = 0x01;
    /// <summary>READ_ALARM / SET_ALARM / SET_ALARM_ENABLED flags bit 0: the alarm is enabled.</summary>
    public const byte AlarmFlagEnabled = 0x01;

    public const int RequestHeadSize = 8;
    public const int ResponseHeadSize = 8;
    public const int AlarmNotificationSize = 16;
}
