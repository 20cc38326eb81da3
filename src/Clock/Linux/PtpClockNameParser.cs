using System.Globalization;
using Sync.Filters.Time;

namespace Sync.Clock.Linux;

/// <summary>Reads a PHC's clock_name: which driver, and for virtio-rtc which clock type and smearing variant.</summary>
public static class PtpClockNameParser
{
    private const string VirtioPrefix = "Virtio PTP type ";
    private const string VirtioVariantSeparator = "/variant ";
    public const string KvmName = "KVM virtual PTP";
    public const string VmwareName = "ptp_vmw";
    private const string VmClockPrefix = "vmclock";
    public const int FirstExperimentalType = 0xF0;

    public readonly record struct Parsed(PtpClockKind Kind, ClockScale? Scale, int? VirtioType, int? VirtioVariant, bool UsableForRealtime, string? Note);

    public static Parsed Parse(string clockName)
    {
        if (TryParseVirtio(clockName, out var type, out var variant)) return FromVirtio(type, variant);
        if (clockName == KvmName) return new(PtpClockKind.Kvm, ClockScale.Utc, null, null, true, null);
        if (clockName == VmwareName) return new(PtpClockKind.VmwarePrecisionClock, ClockScale.Utc, null, null, true, null);
        if (clockName.StartsWith(VmClockPrefix, StringComparison.Ordinal) && clockName.Length > VmClockPrefix.Length
            && clockName.AsSpan(VmClockPrefix.Length).IndexOfAnyExceptInRange('0', '9') < 0)
            return new(PtpClockKind.VmClock, ClockScale.Utc, null, null, true, null);
        return new(PtpClockKind.Other, null, null, null, false, "unknown driver: its time scale is not known");
    }

    public static bool TryParseVirtio(string clockName, out int type, out int variant)
    {
        type = variant = 0;
        if (!clockName.StartsWith(VirtioPrefix, StringComparison.Ordinal)) return false;
        var rest = clockName.AsSpan(VirtioPrefix.Length);
        var separator = rest.IndexOf(VirtioVariantSeparator, StringComparison.Ordinal);
        if (separator <= 0) return false;
        return int.TryParse(rest[..separator], NumberStyles.None, CultureInfo.InvariantCulture, out type)
            && int.TryParse(rest[(separator + VirtioVariantSeparator.Length)..], NumberStyles.None, CultureInfo.InvariantCulture, out variant)
            && type <= byte.MaxValue && variant <= byte.MaxValue;
    }

    private static Parsed FromVirtio(int type, int variant)
    {
        Parsed Known(ClockScale scale, bool usable = true, string? note = null) => new(PtpClockKind.VirtioRtc, scale, type, variant, usable, note);
        Parsed Unknown(string note) => new(PtpClockKind.VirtioRtc, null, type, variant, false, note);

        return type switch
        {
            (int)TimeScale.Utc => Known(ClockScale.Utc),
            (int)TimeScale.Tai => Known(ClockScale.Tai),
            (int)TimeScale.Monotonic => Known(ClockScale.Monotonic, false, "monotonic clock: no relation to UTC, never used for CLOCK_REALTIME"),
            (int)TimeScale.UtcSmeared => variant switch
            {
                (int)SmearVariant.Unspecified => Known(new ClockScale(TimeScale.UtcSmeared, SmearVariant.Unspecified), true,
                    "smearing method unspecified: near a leap second the error is unknown"),
                (int)SmearVariant.NoonLinear => Known(ClockScale.UtcSmearedNoonLinear),
                (int)SmearVariant.UtcSls => Known(ClockScale.UtcSmearedSls),
                >= FirstExperimentalType => Unknown($"experimental smearing variant 0x{variant:X2}: not used"),
                _ => Unknown($"unknown smearing variant {variant}: not used"),
            },
            (int)TimeScale.UtcMaybeSmeared => Known(ClockScale.UtcMaybeSmeared, true, "may smear or step at a leap second"),
            >= FirstExperimentalType => Unknown($"experimental clock type 0x{type:X2}: not used"),
            _ => Unknown($"unknown clock type {type}: not used"),
        };
    }
}
