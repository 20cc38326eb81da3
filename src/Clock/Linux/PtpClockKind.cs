namespace Sync.Clock.Linux;

/// <summary>Which driver a PHC comes from, as told by its clock_name.</summary>
public enum PtpClockKind
{
    /// <summary>virtio_rtc: "Virtio PTP type T/variant V".</summary>
    VirtioRtc,
    /// <summary>ptp_kvm: "KVM virtual PTP" (the host's CLOCK_REALTIME, UTC).</summary>
    Kvm,
    /// <summary>ptp_vmclock: "vmclockN" (UTC; the kernel converts a TAI vmclock with its TAI offset).</summary>
    VmClock,
    /// <summary>ptp_vmw: "ptp_vmw" (VMware precision clock, UTC).</summary>
    VmwarePrecisionClock,
    /// <summary>Anything else, e.g. a NIC's PHC: time scale unknown.</summary>
    Other,
}
