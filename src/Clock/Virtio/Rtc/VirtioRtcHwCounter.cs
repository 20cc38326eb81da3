namespace Sync.Clock.Virtio.Rtc;

/// <summary>The hardware counter a READ_CROSS / CROSS_CAP request names (hw_counter).</summary>
public enum VirtioRtcHwCounter : byte
{
    ArmVct = 0,
    X86Tsc = 1,
    Invalid = 0xFF,
}
