using Sync.Filters.Time;

namespace Sync.Daemon.Configuration;

/// <summary>
/// One entry of sources:clocks. Exactly one way to find the clock: a device path or udev symlink
/// (e.g. /dev/ptp_virtio_tai), a sysfs clock_name (e.g. "Virtio PTP type 1/variant 0"), or a virtio-rtc
/// clock type (utc, tai, monotonic, utc-smeared, utc-maybe-smeared) looked up by clock_name.
/// </summary>
public sealed record ClockSelector(string? Path, string? ClockName, TimeScale? Type)
{
    public static ClockSelector ByPath(string path) => new(path, null, null);
    public static ClockSelector ByClockName(string name) => new(null, name, null);
    public static ClockSelector ByType(TimeScale type) => new(null, null, type);

    public override string ToString() =>
        Path is not null ? $"path {Path}" : ClockName is not null ? $"clock_name \"{ClockName}\"" : $"type {ConfigNames.TimeScaleName(Type!.Value)}";
}
