using System.Globalization;

namespace Sync.Clock.Linux;

/// <summary>
/// Finds the PHCs of this machine: every /sys/class/ptp/ptpN with a clock_name, its device node /dev/ptpN and the
/// symlinks in /dev that resolve to it (udev names such as /dev/ptp_virtio_tai). Both roots are injectable, so a
/// fake sysfs and /dev in a temporary directory stand in for the real ones in tests. Never throws: an unreadable
/// entry is listed with a note, a missing root gives an empty list.
/// </summary>
public sealed class PtpClockDiscovery(string sysfsRoot = PtpClockDiscovery.DefaultSysfsRoot, string devRoot = PtpClockDiscovery.DefaultDevRoot)
{
    public const string DefaultSysfsRoot = "/sys/class/ptp";
    public const string DefaultDevRoot = "/dev";

    public string SysfsRoot { get; } = sysfsRoot;
    public string DevRoot { get; } = devRoot;

    public IReadOnlyList<PtpClockDescription> Discover()
    {
        var found = new List<PtpClockDescription>();
        foreach (var (index, directory) in EnumerateClockDirectories())
        {
            var devicePath = Path.GetFullPath(Path.Combine(DevRoot, $"ptp{index}"));
            var clockName = ReadClockName(directory, out var readError);
            found.Add(clockName is null
                ? PtpClockDescription.Of(index, devicePath, "",
                    new PtpClockNameParser.Parsed(PtpClockKind.Other, null, null, null, false, $"clock_name unreadable: {readError}"))
                : PtpClockDescription.Named(index, devicePath, clockName));
        }
        if (found.Count == 0) return found;

        var symlinks = FindSymlinks(found.Select(c => c.DevicePath).ToHashSet(StringComparer.Ordinal));
        return found
            .OrderBy(c => c.Index)
            .Select(c => symlinks.TryGetValue(c.DevicePath, out var links) ? c with { Symlinks = links.Order(StringComparer.Ordinal).ToArray() } : c)
            .ToArray();
    }

    private IEnumerable<(int Index, string Directory)> EnumerateClockDirectories()
    {
        IEnumerable<string> entries;
        try
        {
            if (!Directory.Exists(SysfsRoot)) yield break;
            entries = Directory.EnumerateFileSystemEntries(SysfsRoot, "ptp*").ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            if (!int.TryParse(name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var index)) continue;
            yield return (index, entry);
        }
    }

    private static string? ReadClockName(string directory, out string? error)
    {
        error = null;
        try
        {
            return File.ReadAllText(Path.Combine(directory, "clock_name")).TrimEnd('\n', '\r', ' ', '\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>Symlinks directly in DevRoot whose final target is one of the device paths.</summary>
    private Dictionary<string, List<string>> FindSymlinks(HashSet<string> devicePaths)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(DevRoot).ToArray(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return result; }

        foreach (var entry in entries)
        {
            var target = ResolveSymlink(entry);
            if (target is null || !devicePaths.Contains(target)) continue;
            if (!result.TryGetValue(target, out var list)) result[target] = list = [];
            list.Add(entry);
        }
        return result;
    }

    /// <summary>The full path a symlink finally points to, or null when entry is no symlink or cannot be read.</summary>
    public static string? ResolveSymlink(string entry)
    {
        try
        {
            var info = new FileInfo(entry);
            if (info.LinkTarget is null) return null;
            var final = info.ResolveLinkTarget(returnFinalTarget: true);
            return final is null ? null : Path.GetFullPath(final.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
