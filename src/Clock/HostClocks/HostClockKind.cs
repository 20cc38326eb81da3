namespace Sync.Clock.HostClocks;

/// <summary>The host clocks the device can serve (configuration names: utc, tai, monotonic, ...).</summary>
public enum HostClockKind
{
    Utc,
    Tai,
    Monotonic,
    /// <summary>MONOTONIC from CLOCK_BOOTTIME.</summary>
    Boottime,
    UtcSmearedNoonLinear,
    UtcSmearedSls,
    /// <summary>CLOCK_REALTIME labelled UTC_MAYBE_SMEARED; only when asked for.</summary>
    UtcMaybeSmeared,
}
