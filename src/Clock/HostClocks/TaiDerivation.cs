namespace Sync.Clock.HostClocks;

/// <summary>Where a host TAI clock gets TAI from.</summary>
public enum TaiDerivation
{
    /// <summary>CLOCK_TAI: the kernel's TAI offset is set (by chrony, ptp4l or ntpd).</summary>
    KernelClockTai,
    /// <summary>CLOCK_REALTIME plus TAI - UTC from a leap-second table (the kernel's offset is 0 = unknown).</summary>
    LeapSecondTable,
}
