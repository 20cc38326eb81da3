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

    /// <summary>A PHC at <paramref name="devicePath"/> described by what its clock_name says (<see cref="PtpClockNameParser"/>).</summary>
    public static PtpClockDescription Named(int index, string devicePath, string clockName) =>
        Of(index, devicePath, clockName, PtpClockNameParser.Parse(clockName));

    internal static PtpClockDescription Of(int index, string devicePath, string clockName, PtpClockNameParser.Parsed parsed) =>
        new(index, devicePath, [], clockName, parsed.Kind, parsed.Scale, parsed.VirtioType, parsed.VirtioVariant,
            parsed.UsableForRealtime, parsed.Note);
}
