using Sync.Clock.Abstractions;
using Sync.Clock.Virtio;
using Sync.Clock.Virtio.Rtc;

namespace Sync.Clock.Tests.Virtio;

public class VirtioRtcDriverTests
{
    /// <summary>A channel that answers with fixed bytes and a fixed used length, to test the driver's checks.</summary>
    private sealed class ScriptedChannel(byte[] answer, int used) : IVirtioRequestChannel
    {
        public byte[]? LastRequest { get; private set; }
        public int LastResponseCapacity { get; private set; }

        public int Submit(ReadOnlySpan<byte> request, Span<byte> response)
        {
            LastRequest = request.ToArray();
            LastResponseCapacity = response.Length;
            answer.AsSpan(0, Math.Min(answer.Length, response.Length)).CopyTo(response);
            return used;
        }
    }

    private static readonly byte[] ReadOk = [0, 0, 0, 0, 0, 0, 0, 0, 0x2A, 0, 0, 0, 0, 0, 0, 0];

    [Fact]
    public void Read_SendsTheGoldenRequest_AndOffersExactlyTheResponseSize()
    {
        var channel = new ScriptedChannel(ReadOk, 16);
        var driver = new VirtioRtcDriver(channel);
        Assert.Equal(42, driver.Read(1).Value);
        Assert.Equal(new byte[] { 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0, 0, 0, 0, 0, 0 }, channel.LastRequest);
        Assert.Equal(16, channel.LastResponseCapacity);
    }

    [Theory]
    [InlineData(15)]
    [InlineData(8)]
    [InlineData(17)]
    public void OkResponse_WithTheWrongUsedLength_IsEinval(int used)
    {
        var error = new VirtioRtcDriver(new ScriptedChannel(ReadOk, used)).Read(0).Error;
        Assert.NotNull(error);
        Assert.Equal(ClockErrorKind.InvalidArgument, error.Kind);
        Assert.Equal("EINVAL", error.ErrnoName);
    }

    [Fact]
    public void ResponseShorterThanTheHead_IsAnError()
    {
        var error = new VirtioRtcDriver(new ScriptedChannel(ReadOk, 7)).Read(0).Error;
        Assert.Equal("EINVAL", error!.ErrnoName);
        Assert.Equal("EINVAL", new VirtioRtcDriver(new ScriptedChannel(ReadOk, 0)).ReadConfig().Error!.ErrnoName);
    }

    [Theory]
    [InlineData(2, ClockErrorKind.NotSupported, "EOPNOTSUPP")]
    [InlineData(3, ClockErrorKind.DeviceGone, "ENODEV")]
    [InlineData(4, ClockErrorKind.InvalidArgument, "EINVAL")]
    [InlineData(5, ClockErrorKind.Other, "EIO")]
    [InlineData(77, ClockErrorKind.Other, "EIO")]
    public void ErrorStatus_InAHeadOnlyReply_MapsToItsErrno(byte status, ClockErrorKind kind, string errno)
    {
        byte[] head = [status, 0, 0, 0, 0, 0, 0, 0];
        var error = new VirtioRtcDriver(new ScriptedChannel(head, 8)).Read(0).Error!;
        Assert.Equal(kind, error.Kind);
        Assert.Equal(errno, error.ErrnoName);
        Assert.Contains("READ clock 0", error.Message);
    }

    [Fact]
    public void HeadOnlyRequests_SucceedWithUsedLength8()
    {
        var channel = new ScriptedChannel(new byte[8], 8);
        var driver = new VirtioRtcDriver(channel);
        Assert.Null(driver.SetAlarm(2, 0x0102030405060708UL, true));
        Assert.Equal(
            new byte[] { 0x04, 0x10, 0, 0, 0, 0, 0, 0, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0 },
            channel.LastRequest);
        Assert.Null(driver.SetAlarmEnabled(2, false));
        Assert.Equal(new byte[] { 0x05, 0x10, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0x00, 0, 0, 0, 0, 0 }, channel.LastRequest);
    }

    [Fact]
    public void ATransportException_BecomesAnError()
    {
        var driver = new VirtioRtcDriver(new ThrowingChannel());
        Assert.Equal("EIO", driver.ReadConfig().Error!.ErrnoName);
    }

    private sealed class ThrowingChannel : IVirtioRequestChannel
    {
        public int Submit(ReadOnlySpan<byte> request, Span<byte> response) => throw new TimeoutException("no answer");
    }
}
