using Sync.Filters.Time;

namespace Sync.Clock.Virtio.Rtc;

/// <summary>CLOCK_CAP answer: the clock's type, smearing variant and whether it supports alarms.</summary>
public readonly record struct VirtioRtcClockCapabilities(TimeScale Type, SmearVariant Smearing, bool AlarmCapable)
{
    public ClockScale Scale => new(Type, Type == TimeScale.UtcSmeared ? Smearing : SmearVariant.Unspecified);
}

/// <summary>READ_CROSS answer: a clock reading and the hardware counter value at the same instant.</summary>
public readonly record struct VirtioRtcCrossReading(long ClockNs, ulong CounterCycles);

/// <summary>READ_ALARM answer.</summary>
public readonly record struct VirtioRtcAlarm(ulong AlarmTimeNs, bool Enabled);
