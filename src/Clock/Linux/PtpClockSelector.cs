using Sync.Clock.Abstractions;
using Sync.Filters.Time;

namespace Sync.Clock.Linux;

/// <summary>
/// Picks the PHCs to steer CLOCK_REALTIME from: the one choice `sync` makes (LinuxClockSources) and `virtsyncd clocks`
/// reports, from the clocks discovery found and the selectors of sources:clocks (or `clocks --select`), see
/// <see cref="ClockSelector"/>.
/// <list type="bullet">
/// <item>no selector ("auto"): every usable clock in the default preference, best first: virtio-rtc TAI, UTC, UTC
/// smeared (known variant: noon-linear, UTC-SLS; then unspecified), UTC maybe-smeared; then vmclock, KVM, VMware.
/// Ties go to the lowest ptpN. TAI comes first because it never steps or smears: UTC follows from it with the TAI-UTC
/// offset. A monotonic clock, an unknown type or variant, or a PHC of an unknown driver is never chosen.</item>
/// <item>selectors: one clock each, in the order given (the first is preferred, the others are for failover); a
/// clock that cannot steer CLOCK_REALTIME (monotonic, unknown scale) is refused with the reason. A selector that
/// matches no clock is skipped (reported through <c>skipped</c>) and the choice fails only when none matches: the
/// shipped configuration names /dev/ptp_virtio_tai first, which does not exist where the host serves no TAI clock
/// or no udev made the links (the lab's systemd scenario failed to start on that). A clock named twice counts once.</item>
/// </list>
/// </summary>
public static class PtpClockSelector
{
    public const string Auto = ClockSelector.Auto;

    public const string DefaultOrderDescription = "TAI > UTC > UTC smeared > UTC maybe-smeared (virtio-rtc) > vmclock > KVM > VMware";

    /// <summary>The clocks to read, preferred first, each with the reason in words.</summary>
    public static ClockResult<IReadOnlyList<PtpClockChoice>> Choose(IReadOnlyList<PtpClockDescription> clocks, IReadOnlyList<ClockSelector> selectors,
        Action<string>? skipped = null)
    {
        if (clocks.Count == 0)
            return new ClockError(ClockErrorKind.DeviceGone, "ENODEV", "no PTP clocks found: is the virtio_rtc or ptp_kvm module loaded?");
        if (selectors.Count == 0) return SelectDefault(clocks);
        var chosen = new List<PtpClockChoice>(selectors.Count);
        var unmatched = new List<string>();
        foreach (var selector in selectors)
        {
            var one = SelectOne(clocks, selector);
            if (!one.IsOk)
            {
                if (one.Error!.Kind != ClockErrorKind.DeviceGone) return one.Error!; // refused: a configuration error
                unmatched.Add(one.Error.Message);
                skipped?.Invoke($"{one.Error.Message}: trying the next selector");
                continue;
            }
            if (chosen.All(c => c.Clock.DevicePath != one.Value.Clock.DevicePath)) chosen.Add(one.Value);
        }
        if (chosen.Count == 0) return NotFound(string.Join("; ", unmatched));
        return ClockResult<IReadOnlyList<PtpClockChoice>>.Ok(chosen);
    }

    /// <summary>The preferred clock for a selection in text form (auto, a path, ptpN, a keyword; comma-separated).</summary>
    public static ClockResult<PtpClockChoice> Select(IReadOnlyList<PtpClockDescription> clocks, string? selection)
    {
        var parsed = ParseList(selection);
        if (!parsed.IsOk) return parsed.Error!;
        var chosen = Choose(clocks, parsed.Value);
        return chosen.IsOk ? ClockResult<PtpClockChoice>.Ok(chosen.Value[0]) : chosen.Error!;
    }

    /// <summary>"auto" or empty = no selector; otherwise comma-separated <see cref="ClockSelector"/> texts.</summary>
    public static ClockResult<IReadOnlyList<ClockSelector>> ParseList(string? selection)
    {
        var wanted = (selection ?? "").Trim();
        if (wanted.Length == 0 || wanted.Equals(Auto, StringComparison.OrdinalIgnoreCase))
            return ClockResult<IReadOnlyList<ClockSelector>>.Ok([]);
        var selectors = new List<ClockSelector>();
        foreach (var part in wanted.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (ClockSelector.TryParse(part) is not { } selector)
                return ClockErrors.InvalidArgument($"unknown clock selection \"{part}\": use auto, {ClockSelector.Grammar}");
            selectors.Add(selector);
        }
        return ClockResult<IReadOnlyList<ClockSelector>>.Ok(selectors);
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

    private static ClockResult<IReadOnlyList<PtpClockChoice>> SelectDefault(IReadOnlyList<PtpClockDescription> clocks)
    {
        var ranked = clocks
            .Select(c => (Clock: c, Rank: DefaultRank(c)))
            .Where(x => x.Rank is not null)
            .OrderBy(x => x.Rank).ThenBy(x => x.Clock.Index)
            .Select(x => x.Clock)
            .ToArray();
        if (ranked.Length == 0)
            return NotFound($"none of the {clocks.Count} PTP clock(s) can steer CLOCK_REALTIME: "
                + string.Join("; ", clocks.Select(c => $"{c.DeviceName} ({c.ClockName}): {c.Note ?? "not usable"}")));
        var best = ranked[0];
        var reason = $"{Describe(best)}: best by the default order {DefaultOrderDescription}";
        var others = ranked.Skip(1).Select(c => c.DeviceName).ToArray();
        if (others.Length > 0) reason += $"; also usable: {string.Join(", ", others)}";
        return ClockResult<IReadOnlyList<PtpClockChoice>>.Ok(
            [new PtpClockChoice(best, reason), .. ranked.Skip(1).Select(c => new PtpClockChoice(c, $"{Describe(c)}: next by the default order"))]);
    }

    private static ClockResult<PtpClockChoice> SelectOne(IReadOnlyList<PtpClockDescription> clocks, ClockSelector selector)
    {
        if (selector.Path is { } path) return SelectByPath(clocks, path);
        if (selector.DeviceName is { } device)
        {
            var clock = clocks.FirstOrDefault(c => c.DeviceName == device);
            return clock is null ? NotFound($"no PHC named {device}") : Explicit(clock, $"selected as {device}");
        }
        if (selector.ClockName is { } name)
        {
            var clock = clocks.Where(c => c.ClockName == name).OrderBy(c => c.Index).FirstOrDefault();
            return clock is null ? NotFound($"no PTP clock has clock_name \"{name}\"") : Explicit(clock, $"selected by clock_name \"{name}\"");
        }
        return SelectByKeyword(clocks, selector.Keyword!.Value);
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

    private static ClockResult<PtpClockChoice> SelectByKeyword(IReadOnlyList<PtpClockDescription> clocks, ClockSelectorKeyword keyword)
    {
        Func<PtpClockDescription, bool>? match = keyword switch
        {
            ClockSelectorKeyword.Tai => c => IsVirtio(c, ClockScale.Tai),
            ClockSelectorKeyword.Utc => c => IsVirtio(c, ClockScale.Utc),
            ClockSelectorKeyword.UtcSmeared => c => c.Kind == PtpClockKind.VirtioRtc && c.Scale?.Scale == TimeScale.UtcSmeared && c.UsableForRealtime,
            ClockSelectorKeyword.UtcSmearedNoon => c => IsVirtio(c, ClockScale.UtcSmearedNoonLinear),
            ClockSelectorKeyword.UtcSmearedSls => c => IsVirtio(c, ClockScale.UtcSmearedSls),
            ClockSelectorKeyword.UtcSmearedUnspecified => c => IsVirtio(c, new ClockScale(TimeScale.UtcSmeared, SmearVariant.Unspecified)),
            ClockSelectorKeyword.UtcMaybeSmeared => c => IsVirtio(c, ClockScale.UtcMaybeSmeared),
            ClockSelectorKeyword.Kvm => c => c.Kind == PtpClockKind.Kvm,
            ClockSelectorKeyword.VmClock => c => c.Kind == PtpClockKind.VmClock,
            ClockSelectorKeyword.Vmware => c => c.Kind == PtpClockKind.VmwarePrecisionClock,
            _ => null,
        };
        if (match is null)
            return ClockErrors.InvalidArgument("a monotonic clock has no relation to UTC and cannot steer CLOCK_REALTIME");
        var name = ClockSelector.KeywordName(keyword);
        var candidates = clocks.Where(match).OrderBy(c => c.Index).ToArray();
        if (candidates.Length == 0) return NotFound($"no {name} PTP clock found");
        var reason = $"{Describe(candidates[0])}: selected as \"{name}\"";
        if (candidates.Length > 1) reason += $" (lowest of {string.Join(", ", candidates.Select(c => c.DeviceName))})";
        return Explicit(candidates[0], reason, asIs: true);
    }

    private static ClockResult<PtpClockChoice> Explicit(PtpClockDescription clock, string how, bool asIs = false)
    {
        if (!clock.UsableForRealtime || clock.Scale is null)
            return ClockErrors.InvalidArgument($"{Describe(clock)} was {how} but cannot steer CLOCK_REALTIME: {clock.Note ?? "time scale unknown"}");
        return ClockResult<PtpClockChoice>.Ok(new PtpClockChoice(clock, asIs ? how : $"{Describe(clock)}: {how}"));
    }

    private static bool IsVirtio(PtpClockDescription clock, ClockScale scale) =>
        clock.Kind == PtpClockKind.VirtioRtc && clock.Scale == scale && clock.UsableForRealtime;

    private static string Describe(PtpClockDescription clock) => $"{clock.DevicePath} (\"{clock.ClockName}\", {clock.ScaleName})";

    private static ClockError NotFound(string message) => new(ClockErrorKind.DeviceGone, "ENODEV", message);
}
