using Sync.Clock.Abstractions;
using Sync.Filters.Time;

namespace Sync.Clock.Linux;

/// <summary>
/// Picks the PHC to steer CLOCK_REALTIME from. The selection is one string:
/// <list type="bullet">
/// <item>empty or "auto": the default preference, best first: virtio-rtc TAI, UTC, UTC smeared (known variant:
/// noon-linear, UTC-SLS; then unspecified), UTC maybe-smeared; then vmclock, KVM, VMware. Ties go to the lowest
/// ptpN. TAI comes first because it never steps or smears: UTC follows from it with the TAI-UTC offset. A
/// monotonic clock, an unknown type or variant, or a PHC of an unknown driver is never chosen.</item>
/// <item>a path: the device node (/dev/ptp1) or a symlink to it (/dev/ptp_virtio_tai).</item>
/// <item>"ptpN": that device.</item>
/// <item>a scale: "tai", "utc", "utc-smeared" (any variant), "utc-smeared-noon", "utc-smeared-sls",
/// "utc-smeared-unspecified", "utc-maybe-smeared" — the device's clock of that type.</item>
/// <item>a driver: "kvm", "vmclock", "vmware".</item>
/// </list>
/// </summary>
public static class PtpClockSelector
{
    public const string Auto = "auto";

    public const string DefaultOrderDescription = "TAI > UTC > UTC smeared > UTC maybe-smeared (virtio-rtc) > vmclock > KVM > VMware";

    public static ClockResult<PtpClockChoice> Select(IReadOnlyList<PtpClockDescription> clocks, string? selection)
    {
        if (clocks.Count == 0)
            return new ClockError(ClockErrorKind.DeviceGone, "ENODEV", "no PTP clocks found: is the virtio_rtc or ptp_kvm module loaded?");
        var wanted = (selection ?? "").Trim();
        if (wanted.Length == 0 || wanted.Equals(Auto, StringComparison.OrdinalIgnoreCase)) return SelectDefault(clocks);
        if (wanted.Contains('/')) return SelectByPath(clocks, wanted);
        if (wanted.StartsWith("ptp", StringComparison.Ordinal) && int.TryParse(wanted.AsSpan(3), out var index))
        {
            var clock = clocks.FirstOrDefault(c => c.Index == index);
            return clock is null ? NotFound($"no PHC named {wanted}") : Explicit(clock, $"selected as {wanted}");
        }
        return SelectByKeyword(clocks, wanted.ToLowerInvariant());
    }

    /// <summary>Rank in the default order (lower is better); null = never chosen by default.</summary>
    public static int? DefaultRank(PtpClockDescription clock)
    {
        if (!clock.UsableForRealtime || clock.Scale is not { } scale) return null;
        return clock.Kind switch
        {
            PtpClockKind.VirtioRtc => scale.Scale switch
            {
                TimeScale.Tai => 0,
                TimeScale.Utc => 1,
                TimeScale.UtcSmeared => scale.Variant == SmearVariant.Unspecified ? 3 : 2,
                TimeScale.UtcMaybeSmeared => 4,
                _ => null,
            },
            PtpClockKind.VmClock => 5,
            PtpClockKind.Kvm => 6,
            PtpClockKind.VmwarePrecisionClock => 7,
            _ => null,
        };
    }

    private static ClockResult<PtpClockChoice> SelectDefault(IReadOnlyList<PtpClockDescription> clocks)
    {
        var ranked = clocks
            .Select(c => (Clock: c, Rank: DefaultRank(c)))
            .Where(x => x.Rank is not null)
            .OrderBy(x => x.Rank).ThenBy(x => x.Clock.Index)
            .ToArray();
        if (ranked.Length == 0)
            return NotFound($"none of the {clocks.Count} PTP clock(s) can steer CLOCK_REALTIME: "
                + string.Join("; ", clocks.Select(c => $"{c.DeviceName} ({c.ClockName}): {c.Note ?? "not usable"}")));
        var best = ranked[0].Clock;
        var reason = $"{Describe(best)}: best by the default order {DefaultOrderDescription}";
        var others = ranked.Skip(1).Select(x => x.Clock.DeviceName).ToArray();
        if (others.Length > 0) reason += $"; also usable: {string.Join(", ", others)}";
        return ClockResult<PtpClockChoice>.Ok(new PtpClockChoice(best, reason));
    }

    private static ClockResult<PtpClockChoice> SelectByPath(IReadOnlyList<PtpClockDescription> clocks, string path)
    {
        var full = Path.GetFullPath(path);
        var clock = clocks.FirstOrDefault(c => c.DevicePath == full)
            ?? clocks.FirstOrDefault(c => c.Symlinks.Contains(full, StringComparer.Ordinal));
        if (clock is null && PtpClockDiscovery.ResolveSymlink(full) is { } target)
            clock = clocks.FirstOrDefault(c => c.DevicePath == target);
        return clock is null ? NotFound($"{path} is not a PTP clock (known: {string.Join(", ", clocks.Select(c => c.DevicePath))})")
            : Explicit(clock, clock.DevicePath == full ? $"selected by path {path}" : $"selected by symlink {path}");
    }

    private static ClockResult<PtpClockChoice> SelectByKeyword(IReadOnlyList<PtpClockDescription> clocks, string keyword)
    {
        Func<PtpClockDescription, bool>? match = keyword switch
        {
            "tai" => c => IsVirtio(c, ClockScale.Tai),
            "utc" => c => IsVirtio(c, ClockScale.Utc),
            "utc-smeared" => c => c.Kind == PtpClockKind.VirtioRtc && c.Scale?.Scale == TimeScale.UtcSmeared,
            "utc-smeared-noon" => c => IsVirtio(c, ClockScale.UtcSmearedNoonLinear),
            "utc-smeared-sls" => c => IsVirtio(c, ClockScale.UtcSmearedSls),
            "utc-smeared-unspecified" => c => IsVirtio(c, new ClockScale(TimeScale.UtcSmeared, SmearVariant.Unspecified)),
            "utc-maybe-smeared" => c => IsVirtio(c, ClockScale.UtcMaybeSmeared),
            "monotonic" => null,
            "kvm" => c => c.Kind == PtpClockKind.Kvm,
            "vmclock" => c => c.Kind == PtpClockKind.VmClock,
            "vmware" => c => c.Kind == PtpClockKind.VmwarePrecisionClock,
            _ => null,
        };
        if (keyword == "monotonic")
            return ClockErrors.InvalidArgument("a monotonic clock has no relation to UTC and cannot steer CLOCK_REALTIME");
        if (match is null)
            return ClockErrors.InvalidArgument($"unknown clock selection \"{keyword}\": use auto, a path, ptpN, tai, utc, "
                + "utc-smeared[-noon|-sls|-unspecified], utc-maybe-smeared, kvm, vmclock or vmware");
        var candidates = clocks.Where(match).OrderBy(c => c.Index).ToArray();
        if (candidates.Length == 0) return NotFound($"no {keyword} PTP clock found");
        var reason = $"{Describe(candidates[0])}: selected as \"{keyword}\"";
        if (candidates.Length > 1) reason += $" (lowest of {string.Join(", ", candidates.Select(c => c.DeviceName))})";
        return ClockResult<PtpClockChoice>.Ok(new PtpClockChoice(candidates[0], reason));
    }

    private static ClockResult<PtpClockChoice> Explicit(PtpClockDescription clock, string how)
    {
        if (!clock.UsableForRealtime || clock.Scale is null)
            return ClockErrors.InvalidArgument($"{Describe(clock)} was {how} but cannot steer CLOCK_REALTIME: {clock.Note ?? "time scale unknown"}");
        return ClockResult<PtpClockChoice>.Ok(new PtpClockChoice(clock, $"{Describe(clock)}: {how}"));
    }

    private static bool IsVirtio(PtpClockDescription clock, ClockScale scale) =>
        clock.Kind == PtpClockKind.VirtioRtc && clock.Scale == scale && clock.UsableForRealtime;

    private static string Describe(PtpClockDescription clock) => $"{clock.DevicePath} (\"{clock.ClockName}\", {clock.ScaleName})";

    private static ClockError NotFound(string message) => new(ClockErrorKind.DeviceGone, "ENODEV", message);
}
