using Sync.Clock.Abstractions;

namespace Sync.Clock.Virtio.Rtc;

/// <summary>One clock the virtio-rtc device serves: where its readings come from and what it offers.</summary>
public sealed record DeviceClock(IHostClockSource Source, bool AlarmCapable = false, CrossTimestampConfig? CrossTimestamp = null);
