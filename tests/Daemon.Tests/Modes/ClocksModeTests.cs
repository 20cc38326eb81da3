using Sync.TestSupport;
using System.Buffers.Binary;
using System.Text.Json;
using Sync.Clock.Linux;
using Sync.Daemon.Modes;

namespace Sync.Daemon.Tests.Modes;

public class ClocksModeTests
{
    [Fact]
    public void ThisMachine_HasNoPhc_MessageAndExitCode1()
    {
        Assert.SkipWhen(Directory.Exists("/sys/class/ptp") && Directory.EnumerateFileSystemEntries("/sys/class/ptp").Any(),
            "this machine has PTP clocks");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = ClocksMode.Run([], stdout, stderr);

        Assert.Equal(1, exit);
        Assert.Equal("no PTP clocks found: is the virtio_rtc or ptp_kvm module loaded?", stderr.ToString().Trim());
        Assert.Empty(stdout.ToString());
    }

    [Fact]
    public void EmptySysfs_JsonToo_MessageAndExitCode1()
    {
        using var fs = new FakeSysfs();
        var stderr = new StringWriter();

        Assert.Equal(1, ClocksMode.Run(["--json"], new StringWriter(), stderr, fs.SysfsRoot, fs.DevRoot));
        Assert.Contains(ClocksMode.NoClocksMessage, stderr.ToString());
    }

    [Theory]
    [InlineData("--samples", "0")]
    [InlineData("--samples", "26")]
    [InlineData("--frobnicate")]
    public void BadArguments_Exit64WithUsage(params string[] args)
    {
        var stderr = new StringWriter();
        Assert.Equal(64, ClocksMode.Run(args, new StringWriter(), stderr, "/nonexistent", "/nonexistent"));
        Assert.Contains("usage: virtsyncd clocks", stderr.ToString());
    }

    [Fact]
    public void FakeSysfs_RealSyscallsOnRegularFiles_ListsClocksMethodsFailAndChoosesTai()
    {
        using var fs = new FakeSysfs()
            .Clock(0, "Virtio PTP type 0/variant 0")
            .Clock(1, "Virtio PTP type 1/variant 0")
            .Clock(2, "Virtio PTP type 240/variant 0")
            .Symlink("ptp_virtio_tai", "ptp1");
        var stdout = new StringWriter();

        var exit = ClocksMode.Run([], stdout, new StringWriter(), fs.SysfsRoot, fs.DevRoot);

        var text = stdout.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("\"Virtio PTP type 1/variant 0\"  virtio-rtc, scale tai (virtio-rtc type 1, variant 0)", text);
        Assert.Contains($"symlinks: {Path.Combine(fs.DevRoot, "ptp_virtio_tai")}", text);
        Assert.Contains("experimental clock type 0xF0", text);
        Assert.Contains("methods that work: none", text);
        Assert.Contains("PTP_SYS_OFFSET_EXTENDED2 (ENOTTY)", text);
        Assert.Contains($"sync would choose: {Path.Combine(fs.DevRoot, "ptp1")}", text);
    }

    [Fact]
    public void FakeDevice_Json_HasMethodsLiveReadingAndChoice()
    {
        using var fs = new FakeSysfs()
            .Clock(0, "Virtio PTP type 0/variant 0")
            .Clock(3, "Virtio PTP type 2/variant 0");
        var stdout = new StringWriter();

        var exit = ClocksMode.Run(["--json", "--samples", "3"], stdout, new StringWriter(), fs.SysfsRoot, fs.DevRoot, () => new ExtendedOnlyDevice());

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(stdout.ToString());
        var clocks = json.RootElement.GetProperty("clocks");
        Assert.Equal(2, clocks.GetArrayLength());
        var utc = clocks[0];
        Assert.Equal("utc", utc.GetProperty("scale").GetString());
        Assert.Equal(0, utc.GetProperty("virtio_type").GetInt32());
        var working = utc.GetProperty("methods").EnumerateArray().Where(m => m.GetProperty("works").GetBoolean())
            .Select(m => m.GetProperty("call").GetString()).ToArray();
        Assert.Equal(["PTP_SYS_OFFSET_EXTENDED2", "PTP_SYS_OFFSET_EXTENDED"], working);
        var reading = utc.GetProperty("reading");
        Assert.Equal("PTP_SYS_OFFSET_EXTENDED2", reading.GetProperty("method").GetString());
        Assert.Equal(3, reading.GetProperty("samples").GetInt32());
        Assert.Equal(ExtendedOnlyDevice.FastestDelayNs, reading.GetProperty("delay_ns").GetInt64());
        Assert.Equal(ExtendedOnlyDevice.PhcAheadNs, reading.GetProperty("phc_minus_realtime_ns").GetInt64());
        Assert.False(clocks[1].GetProperty("usable_for_realtime").GetBoolean());
        Assert.Equal(Path.Combine(fs.DevRoot, "ptp0"), json.RootElement.GetProperty("choice").GetProperty("device").GetString());
    }

    [Fact]
    public void OnlyUnusableClocks_ExitCode1_AndSaysWhy()
    {
        using var fs = new FakeSysfs().Clock(0, "Virtio PTP type 2/variant 0");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        Assert.Equal(1, ClocksMode.Run([], stdout, stderr, fs.SysfsRoot, fs.DevRoot, () => new ExtendedOnlyDevice()));
        Assert.Contains("sync would choose: nothing", stdout.ToString());
        Assert.Contains("monotonic", stderr.ToString());
    }

    /// <summary>
    /// `clocks` reports the clock `sync` steers from: for each selection, the device `clocks --select` names is the
    /// first clock <see cref="Sync.Daemon.Pipeline.LinuxClockSources.Open"/> gives `sync` for the same sources:clocks.
    /// </summary>
    [Theory]
    [InlineData("auto")]
    [InlineData("utc")]
    [InlineData("utc-smeared,tai")]
    [InlineData("ptp3,utc")]
    [InlineData("{dev}/ptp_virtio_tai,utc")]
    public void TheChoiceClocksReportsIsTheClockSyncSteersFrom(string selection)
    {
        using var fs = new FakeSysfs()
            .Clock(0, "Virtio PTP type 0/variant 0")
            .Clock(1, "Virtio PTP type 3/variant 1")
            .Clock(2, "Virtio PTP type 1/variant 0")
            .Clock(3, "Virtio PTP type 2/variant 0")
            .Symlink("ptp_virtio_tai", "ptp2");
        selection = selection.Replace("{dev}", fs.DevRoot, StringComparison.Ordinal);
        var stdout = new StringWriter();

        var exit = ClocksMode.Run(["--json", "--samples", "1", "--select", selection], stdout, new StringWriter(), fs.SysfsRoot, fs.DevRoot,
            () => new ExtendedOnlyDevice());
        var selectors = Sync.Clock.Linux.PtpClockSelector.ParseList(selection);
        var sources = new Sync.Daemon.Configuration.SourcesOptions { Clocks = selectors.Value };
        var opened = Sync.Daemon.Pipeline.LinuxClockSources.Open(sources, new PtpClockDiscovery(fs.SysfsRoot, fs.DevRoot), TimeProvider.System);

        using var json = JsonDocument.Parse(stdout.ToString());
        var reported = json.RootElement.GetProperty("choice").TryGetProperty("device", out var device) ? device.GetString() : null;
        Assert.Equal(opened.IsOk ? 0 : 1, exit);
        Assert.Equal(opened.IsOk ? opened.Value[0].Info.Path : null, reported);
        if (opened.IsOk)
            foreach (var clock in opened.Value) clock.Dispose();
    }

    /// <summary>A PHC that answers only EXTENDED(2): sample i has delay 300 - 100 i ns, PHC 500 ns ahead of the midpoint.</summary>
    private sealed class ExtendedOnlyDevice : IPtpIoctl
    {
        public const long PhcAheadNs = 500;
        public const long FastestDelayNs = 100;
        private const uint Extended = 0xC4C03D09;
        private const uint Extended2 = 0xC4C03D12;

        public bool IsOpen { get; private set; }
        public int Open(string path) { IsOpen = true; return 0; }
        public void Close() => IsOpen = false;
        public void Dispose() => Close();
        public int ReadDeviceClock(out long nanoseconds) { nanoseconds = 0; return 95; }
        public int ReadRealtime(out long nanoseconds) { nanoseconds = 0; return 0; }

        public int Ioctl(uint request, Span<byte> argument)
        {
            if (request is not (Extended or Extended2)) return 95; // EOPNOTSUPP
            var n = (int)BinaryPrimitives.ReadUInt32LittleEndian(argument);
            for (var i = 0; i < n; i++)
            {
                var before = 1_764_000_000_000_000_000L + 10_000 * i;
                var delay = 300 - 100 * i;
                if (n == 1) delay = 300;
                Write(argument, 3 * i, before);
                Write(argument, 3 * i + 1, before + delay / 2 + PhcAheadNs);
                Write(argument, 3 * i + 2, before + delay);
            }
            return 0;
        }

        private static void Write(Span<byte> argument, int index, long ns)
        {
            var offset = 16 + 16 * index;
            BinaryPrimitives.WriteInt64LittleEndian(argument[offset..], ns / 1_000_000_000);
            BinaryPrimitives.WriteUInt32LittleEndian(argument[(offset + 8)..], (uint)(ns % 1_000_000_000));
        }
    }

}
