namespace Sync.Clock.Virtio.Rtc;

/// <summary>Reads a host hardware counter (e.g. the host TSC) for READ_CROSS cross-timestamps.</summary>
public interface IHardwareCounterReader
{
    VirtioRtcHwCounter Counter { get; }
    ulong ReadCycles();
}
