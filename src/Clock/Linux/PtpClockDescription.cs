using Sync.Filters.Time;

namespace Sync.Clock.Linux;

/// <summary>
/// One PHC as discovery found it. Scale is null when unknown (unknown driver, or a virtio-rtc type or smearing
/// variant this program does not know, e.g. experimental 0xF0-0xFF). UsableForRealtime says whether `sync` may
/// steer CLOCK_REALTIME from it; Note says why not (or anything else worth knowing).
/// </summary>
public sealed record PtpClockDescription(
    int Index,
    string DevicePath,
    IReadOnlyList<string> Symlinks,
    string ClockName,
    PtpClockKind Kind,
    ClockScale? Scale,
    int? VirtioType,
    int? VirtioVariant,
    bool UsableForRealtime,
    string? Note)
{
    /// <summary>"ptp0" for /dev/ptp0.</summary>
    public string DeviceName => $"ptp{Index}";

    public string ScaleName => Scale?.ToString() ?? "unknown";
}
