using System.Globalization;

namespace Sync.Clock.Linux;

/// <summary>A clock named by what it serves or where it is found; one name table, <see cref="ClockSelector.Keywords"/>.</summary>
public enum ClockSelectorKeyword
{
    Tai,
    Utc,
    UtcSmeared,
    UtcSmearedNoon,
    UtcSmearedSls,
    UtcSmearedUnspecified,
    UtcMaybeSmeared,
    Monotonic,
    Kvm,
    VmClock,
    Vmware,
}

/// <summary>
/// One way to find a PTP clock: the single selector grammar of `sync` (an entry of sources:clocks) and of
/// `virtsyncd clocks --select`, resolved by <see cref="PtpClockSelector.Choose"/> for both. Exactly one of:
/// a device path or udev symlink (/dev/ptp_virtio_tai), a sysfs clock_name ("Virtio PTP type 1/variant 0"),
/// a device name (ptp1) or a keyword (a virtio-rtc time scale such as tai, utc-smeared-sls, or a driver such as kvm).
/// </summary>
public sealed record ClockSelector(string? Path, string? ClockName, string? DeviceName, ClockSelectorKeyword? Keyword)
{
    /// <summary>The keyword names, the only spelling table for them (configuration, CLI, docs).</summary>
    public static readonly IReadOnlyList<(string Name, ClockSelectorKeyword Value)> Keywords =
    [
        ("tai", ClockSelectorKeyword.Tai), ("utc", ClockSelectorKeyword.Utc),
        ("utc-smeared", ClockSelectorKeyword.UtcSmeared), ("utc-smeared-noon", ClockSelectorKeyword.UtcSmearedNoon),
        ("utc-smeared-sls", ClockSelectorKeyword.UtcSmearedSls), ("utc-smeared-unspecified", ClockSelectorKeyword.UtcSmearedUnspecified),
        ("utc-maybe-smeared", ClockSelectorKeyword.UtcMaybeSmeared), ("monotonic", ClockSelectorKeyword.Monotonic),
        ("kvm", ClockSelectorKeyword.Kvm), ("vmclock", ClockSelectorKeyword.VmClock), ("vmware", ClockSelectorKeyword.Vmware),
    ];

    /// <summary>"auto": no selector, every usable clock in the default order.</summary>
    public const string Auto = "auto";

    public static ClockSelector ByPath(string path) => new(path, null, null, null);
    public static ClockSelector ByClockName(string name) => new(null, name, null, null);
    public static ClockSelector ByDeviceName(string name) => new(null, null, name, null);
    public static ClockSelector ByKeyword(ClockSelectorKeyword keyword) => new(null, null, null, keyword);

    public static string KeywordName(ClockSelectorKeyword keyword) => Keywords.First(k => k.Value == keyword).Name;

    public static bool TryParseKeyword(string text, out ClockSelectorKeyword keyword)
    {
        foreach (var (name, value) in Keywords)
        {
            if (string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                keyword = value;
                return true;
            }
        }
        keyword = default;
        return false;
    }

    /// <summary>The text form: an absolute path, ptpN, or a keyword. Null when the text is none of them.</summary>
    public static ClockSelector? TryParse(string text)
    {
        var t = text.Trim();
        if (t.StartsWith('/')) return ByPath(t);
        if (t.StartsWith("ptp", StringComparison.Ordinal) && t.Length > 3
            && int.TryParse(t.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out _)) return ByDeviceName(t);
        return TryParseKeyword(t, out var keyword) ? ByKeyword(keyword) : null;
    }

    /// <summary>What a person can write: for error messages and docs.</summary>
    public static string Grammar => "a path (/dev/ptp_virtio_tai), ptpN, or one of " + string.Join(", ", Keywords.Select(k => k.Name));

    /// <summary>The text form (round-trips through <see cref="TryParse"/> except a clock_name).</summary>
    public string Text => Path ?? DeviceName ?? (ClockName is { } name ? $"{{clockName: {name}}}" : KeywordName(Keyword!.Value));

    public override string ToString() =>
        Path is not null ? $"path {Path}" : ClockName is not null ? $"clock_name \"{ClockName}\""
        : DeviceName is not null ? DeviceName : $"type {KeywordName(Keyword!.Value)}";
}
