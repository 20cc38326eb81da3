using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Filters.Time;
using Sync.TestSupport;

namespace Sync.Clock.Tests.Linux;

public class PtpClockDiscoveryTests
{
    [Theory]
    [InlineData("Virtio PTP type 0/variant 0", "utc", true)]
    [InlineData("Virtio PTP type 1/variant 0", "tai", true)]
    [InlineData("Virtio PTP type 2/variant 0", "monotonic", false)]
    [InlineData("Virtio PTP type 3/variant 1", "utc-smeared-noon", true)]
    [InlineData("Virtio PTP type 3/variant 2", "utc-smeared-sls", true)]
    [InlineData("Virtio PTP type 3/variant 0", "utc-smeared-unspecified", true)]
    [InlineData("Virtio PTP type 3/variant 7", "unknown", false)]
    [InlineData("Virtio PTP type 3/variant 240", "unknown", false)]
    [InlineData("Virtio PTP type 4/variant 0", "utc-maybe-smeared", true)]
    [InlineData("Virtio PTP type 240/variant 0", "unknown", false)]
    [InlineData("Virtio PTP type 255/variant 3", "unknown", false)]
    [InlineData("Virtio PTP type 17/variant 0", "unknown", false)]
    public void VirtioNames_GiveTypeVariantAndScale(string name, string scale, bool usable)
    {
        var parsed = PtpClockNameParser.Parse(name);

        Assert.Equal(PtpClockKind.VirtioRtc, parsed.Kind);
        Assert.Equal(scale, parsed.Scale?.ToString() ?? "unknown");
        Assert.Equal(usable, parsed.UsableForRealtime);
        Assert.NotNull(parsed.VirtioType);
        if (!usable) Assert.False(string.IsNullOrEmpty(parsed.Note));
    }

    [Fact]
    public void ExperimentalTypes_AreCalledSo()
    {
        Assert.Contains("experimental", PtpClockNameParser.Parse("Virtio PTP type 241/variant 0").Note);
        Assert.Equal(241, PtpClockNameParser.Parse("Virtio PTP type 241/variant 0").VirtioType);
    }

    [Theory]
    [InlineData("KVM virtual PTP", PtpClockKind.Kvm, true)]
    [InlineData("vmclock0", PtpClockKind.VmClock, true)]
    [InlineData("vmclock12", PtpClockKind.VmClock, true)]
    [InlineData("ptp_vmw", PtpClockKind.VmwarePrecisionClock, true)]
    [InlineData("e1000e", PtpClockKind.Other, false)]
    [InlineData("vmclockX", PtpClockKind.Other, false)]
    [InlineData("Virtio PTP type x/variant 0", PtpClockKind.Other, false)]
    [InlineData("Virtio PTP type 1, variant 0", PtpClockKind.Other, false)]
    [InlineData("Virtio PTP type 300/variant 0", PtpClockKind.Other, false)]
    [InlineData("", PtpClockKind.Other, false)]
    public void OtherDrivers_AreRecognised(string name, PtpClockKind kind, bool usable)
    {
        var parsed = PtpClockNameParser.Parse(name);
        Assert.Equal(kind, parsed.Kind);
        Assert.Equal(usable, parsed.UsableForRealtime);
        if (usable) Assert.Equal(ClockScale.Utc, parsed.Scale);
    }

    [Fact]
    public void Discover_ListsClocksInIndexOrder_WithDevicePathSymlinksAndNames()
    {
        using var fs = new FakeSysfs()
            .Clock(10, "Virtio PTP type 2/variant 0")
            .Clock(2, "Virtio PTP type 1/variant 0")
            .Clock(0, "Virtio PTP type 0/variant 0")
            .Symlink("ptp_virtio_tai", "ptp2")
            .Symlink("ptp_tai_too", "ptp_virtio_tai")
            .Symlink("ptp_virtio", "ptp0")
            .Symlink("dangling", "nothing-here")
            .Symlink("rtc", "ptp99");
        File.WriteAllText(fs.Dev("null"), "");

        var clocks = new PtpClockDiscovery(fs.SysfsRoot, fs.DevRoot).Discover();

        Assert.Equal([0, 2, 10], clocks.Select(c => c.Index));
        Assert.Equal(fs.Dev("ptp2"), clocks[1].DevicePath);
        Assert.Equal([fs.Dev("ptp_tai_too"), fs.Dev("ptp_virtio_tai")], clocks[1].Symlinks);
        Assert.Equal([fs.Dev("ptp_virtio")], clocks[0].Symlinks);
        Assert.Empty(clocks[2].Symlinks);
        Assert.Equal("Virtio PTP type 1/variant 0", clocks[1].ClockName);
        Assert.Equal(ClockScale.Tai, clocks[1].Scale);
        Assert.Equal("ptp2", clocks[1].DeviceName);
        Assert.False(clocks[2].UsableForRealtime);
    }

    [Fact]
    public void Discover_FollowsSysfsClassSymlinksToDeviceDirectories()
    {
        using var fs = new FakeSysfs();
        var deviceDir = Directory.CreateDirectory(Path.Combine(fs.SysfsRoot, "..", "..", "devices", "virtio0", "ptp", "ptp4"));
        File.WriteAllText(Path.Combine(deviceDir.FullName, "clock_name"), "Virtio PTP type 4/variant 0\n");
        Directory.CreateSymbolicLink(Path.Combine(fs.SysfsRoot, "ptp4"), deviceDir.FullName);

        var clock = Assert.Single(new PtpClockDiscovery(fs.SysfsRoot, fs.DevRoot).Discover());

        Assert.Equal(4, clock.Index);
        Assert.Equal(ClockScale.UtcMaybeSmeared, clock.Scale);
    }

    [Fact]
    public void Discover_MissingRoot_IsEmpty()
    {
        var clocks = new PtpClockDiscovery("/nonexistent/sys/class/ptp", "/nonexistent/dev").Discover();
        Assert.Empty(clocks);
    }

    [Fact]
    public void Discover_EntryWithoutReadableClockName_IsListedAsOther()
    {
        using var fs = new FakeSysfs();
        Directory.CreateDirectory(Path.Combine(fs.SysfsRoot, "ptp3"));

        var clock = Assert.Single(new PtpClockDiscovery(fs.SysfsRoot, fs.DevRoot).Discover());

        Assert.Equal(PtpClockKind.Other, clock.Kind);
        Assert.Contains("clock_name unreadable", clock.Note);
    }

    private static IReadOnlyList<PtpClockDescription> Clocks(FakeSysfs fs) => new PtpClockDiscovery(fs.SysfsRoot, fs.DevRoot).Discover();

    [Fact]
    public void Default_PrefersTaiThenUtcThenSmearedThenMaybeSmeared_NeverMonotonic()
    {
        using var fs = new FakeSysfs()
            .Clock(0, "Virtio PTP type 2/variant 0")
            .Clock(1, "Virtio PTP type 4/variant 0")
            .Clock(2, "Virtio PTP type 3/variant 1")
            .Clock(3, "Virtio PTP type 0/variant 0")
            .Clock(4, "Virtio PTP type 1/variant 0")
            .Clock(5, "KVM virtual PTP");
        var clocks = Clocks(fs);

        string Pick(IEnumerable<PtpClockDescription> available) => PtpClockSelector.Select(available.ToArray(), null).Value.Clock.DeviceName;

        Assert.Equal("ptp4", Pick(clocks));
        Assert.Equal("ptp3", Pick(clocks.Where(c => c.Index != 4)));
        Assert.Equal("ptp2", Pick(clocks.Where(c => c.Index is not (3 or 4))));
        Assert.Equal("ptp1", Pick(clocks.Where(c => c.Index is not (2 or 3 or 4))));
        Assert.Equal("ptp5", Pick(clocks.Where(c => c.Index is 0 or 5)));
        Assert.False(PtpClockSelector.Select(clocks.Where(c => c.Index == 0).ToArray(), "auto").IsOk);
    }

    [Fact]
    public void Default_ExplainsTheChoice_AndTiesGoToTheLowestIndex()
    {
        using var fs = new FakeSysfs()
            .Clock(3, "Virtio PTP type 1/variant 0")
            .Clock(1, "Virtio PTP type 1/variant 0");

        var choice = PtpClockSelector.Select(Clocks(fs), "auto").Value;

        Assert.Equal(1, choice.Clock.Index);
        Assert.Contains("tai", choice.Reason);
        Assert.Contains("default order", choice.Reason);
        Assert.Contains("ptp3", choice.Reason);
    }

    [Fact]
    public void Select_ByPathSymlinkNameAndType()
    {
        using var fs = new FakeSysfs()
            .Clock(0, "Virtio PTP type 0/variant 0")
            .Clock(1, "Virtio PTP type 1/variant 0")
            .Clock(2, "Virtio PTP type 3/variant 2")
            .Symlink("ptp_virtio_utc", "ptp0");
        var clocks = Clocks(fs);

        Assert.Equal(0, PtpClockSelector.Select(clocks, fs.Dev("ptp0")).Value.Clock.Index);
        var bySymlink = PtpClockSelector.Select(clocks, fs.Dev("ptp_virtio_utc")).Value;
        Assert.Equal(0, bySymlink.Clock.Index);
        Assert.Contains("symlink", bySymlink.Reason);
        Assert.Equal(1, PtpClockSelector.Select(clocks, "ptp1").Value.Clock.Index);
        Assert.Equal(1, PtpClockSelector.Select(clocks, "TAI").Value.Clock.Index);
        Assert.Equal(0, PtpClockSelector.Select(clocks, "utc").Value.Clock.Index);
        Assert.Equal(2, PtpClockSelector.Select(clocks, "utc-smeared").Value.Clock.Index);
        Assert.Equal(2, PtpClockSelector.Select(clocks, "utc-smeared-sls").Value.Clock.Index);
        Assert.False(PtpClockSelector.Select(clocks, "utc-smeared-noon").IsOk);
        Assert.False(PtpClockSelector.Select(clocks, "kvm").IsOk);
    }

    [Fact]
    public void Select_Refusals_SayWhy()
    {
        using var fs = new FakeSysfs()
            .Clock(0, "Virtio PTP type 2/variant 0")
            .Clock(1, "Virtio PTP type 240/variant 0")
            .Clock(2, "Virtio PTP type 1/variant 0");
        var clocks = Clocks(fs);

        var monotonic = PtpClockSelector.Select(clocks, "monotonic").Error!;
        Assert.Equal(ClockErrorKind.InvalidArgument, monotonic.Kind);
        Assert.Contains("monotonic", monotonic.Message);
        Assert.Contains("cannot steer", PtpClockSelector.Select(clocks, "ptp0").Error!.Message);
        Assert.Contains("experimental", PtpClockSelector.Select(clocks, fs.Dev("ptp1")).Error!.Message);
        Assert.Contains("unknown clock selection", PtpClockSelector.Select(clocks, "gps").Error!.Message);
        Assert.Contains("not a PTP clock", PtpClockSelector.Select(clocks, "/dev/sda").Error!.Message);
        Assert.Contains("no PTP clocks found", PtpClockSelector.Select([], "auto").Error!.Message);
    }
}
