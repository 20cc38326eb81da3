namespace Sync.Clock.Virtio.Rtc;

/// <summary>Cross-timestamping for one clock: the host counter to read and how the guest sees that counter.</summary>
public sealed record CrossTimestampConfig(IHardwareCounterReader HostCounter, GuestCounterRelation Relation)
{
    public VirtioRtcHwCounter Counter => HostCounter.Counter;
}
