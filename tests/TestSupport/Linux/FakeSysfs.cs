namespace Sync.TestSupport;

/// <summary>A temporary /sys/class/ptp and /dev: ptpN directories with clock_name, device files and symlinks.</summary>
public sealed class FakeSysfs : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("virtsync-sysfs-");

    public FakeSysfs()
    {
        SysfsRoot = Directory.CreateDirectory(Path.Combine(_root.FullName, "sys/class/ptp")).FullName;
        DevRoot = Directory.CreateDirectory(Path.Combine(_root.FullName, "dev")).FullName;
    }

    public string SysfsRoot { get; }
    public string DevRoot { get; }

    public FakeSysfs Clock(int index, string clockName)
    {
        var directory = Directory.CreateDirectory(Path.Combine(SysfsRoot, $"ptp{index}"));
        File.WriteAllText(Path.Combine(directory.FullName, "clock_name"), clockName + "\n");
        File.WriteAllText(Path.Combine(DevRoot, $"ptp{index}"), "");
        return this;
    }

    public FakeSysfs Symlink(string name, string relativeTarget)
    {
        File.CreateSymbolicLink(Path.Combine(DevRoot, name), relativeTarget);
        return this;
    }

    public string Dev(string name) => Path.Combine(DevRoot, name);

    public void Dispose() => _root.Delete(recursive: true);
}
