using Sync.Clock.Virtio.Rtc;

namespace Sync.Clock.Tests.Virtio;

public class VirtioRtcNamesTests
{
    [Theory]
    [InlineData(VirtioRtcMessageType.Read, "READ")]
    [InlineData(VirtioRtcMessageType.ReadCross, "READ_CROSS")]
    [InlineData(VirtioRtcMessageType.Cfg, "CFG")]
    [InlineData(VirtioRtcMessageType.ClockCap, "CLOCK_CAP")]
    [InlineData(VirtioRtcMessageType.CrossCap, "CROSS_CAP")]
    [InlineData(VirtioRtcMessageType.ReadAlarm, "READ_ALARM")]
    [InlineData(VirtioRtcMessageType.SetAlarm, "SET_ALARM")]
    [InlineData(VirtioRtcMessageType.SetAlarmEnabled, "SET_ALARM_ENABLED")]
    public void EveryRequestHasTheSpecsNameAndItsLowerCaseLabel(VirtioRtcMessageType type, string name)
    {
        Assert.Equal(name, VirtioRtcNames.Request(type));
        Assert.Equal(name.ToLowerInvariant(), VirtioRtcNames.RequestLabel(type));
    }

    [Fact]
    public void WhatIsNotARequestHasNoNameAndTheLabelUnknown()
    {
        Assert.Null(VirtioRtcNames.Request(VirtioRtcMessageType.AlarmNotification));
        Assert.Equal("unknown", VirtioRtcNames.RequestLabel(VirtioRtcMessageType.AlarmNotification));
        Assert.Equal("unknown", VirtioRtcNames.RequestLabel((VirtioRtcMessageType)0x7777));
    }

    [Theory]
    [InlineData(VirtioRtcStatus.Ok, "OK")]
    [InlineData(VirtioRtcStatus.NotSupported, "EOPNOTSUPP")]
    [InlineData(VirtioRtcStatus.NoDevice, "ENODEV")]
    [InlineData(VirtioRtcStatus.InvalidArgument, "EINVAL")]
    [InlineData(VirtioRtcStatus.IoError, "EIO")]
    [InlineData((VirtioRtcStatus)77, "EIO")]
    public void EveryStatusIsTheErrnoItStandsFor(VirtioRtcStatus status, string errno)
    {
        Assert.Equal(errno, VirtioRtcNames.Status(status));
        Assert.Equal(errno.ToLowerInvariant(), VirtioRtcNames.StatusLabel(status));
    }
}
