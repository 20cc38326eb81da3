using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Clock.Linux.Interop;
using Sync.Clock.Linux.VmClock;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.Linux;

/// <summary>The real libc calls, on files that are not PHCs: read-only, and true on any Linux machine.</summary>
public class RealDeviceReadOnlyTests
{
    [Fact]
    public void Open_MissingDevice_IsDeviceGone()
    {
        using var phc = new LinuxPhc(new ReferenceClockInfo("/nonexistent/ptp0", "x", ClockScale.Utc));
        var error = phc.Read(1).Error!;
        Assert.Equal(ClockErrorKind.DeviceGone, error.Kind);
        Assert.Equal("ENOENT", error.ErrnoName);
    }

    [Fact]
    public void RegularFile_IsOpened_ButNoIoctlOrDynamicClockWorks()
    {
        var file = Path.GetTempFileName();
        try
        {
            using var device = new PtpIoctl();
            Assert.Equal(0, device.Open(file));
            var caps = new byte[PtpClockCaps.Size];
            Assert.Equal(Errno.ENOTTY, device.Ioctl(PtpRequests.GetCaps2, caps));
            Assert.NotEqual(0, device.ReadDeviceClock(out _));
            Assert.Equal(0, device.ReadRealtime(out var now));
            Assert.True(now > 1_700_000_000_000_000_000);

            using var phc = new LinuxPhc(new ReferenceClockInfo(file, "regular file", ClockScale.Utc));
            var reading = phc.Read(1);
            Assert.False(reading.IsOk);
            Assert.Null(phc.PtpMethod);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void VmClock_OpenMissing_IsDeviceGone()
    {
        Assert.Equal(ClockErrorKind.DeviceGone, VmClockReader.Open("/nonexistent/vmclock0").Error!.Kind);
    }
}
