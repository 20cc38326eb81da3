using Sync.Clock.Abstractions;
using Sync.Clock.Virtio;
using Sync.Clock.Virtio.Rtc;
using Sync.Filters.Time;
using Sync.TestSupport;

namespace Sync.Clock.Tests.Virtio;

public class VirtioRtcDeviceTests
{
    private readonly ManualClockSource _utc = new(ClockScale.Utc, 1_700_000_000_000_000_000);
    private readonly ManualClockSource _tai = new(ClockScale.Tai, 1_700_000_037_000_000_000);
    private readonly ManualClockSource _smeared = new(ClockScale.UtcSmearedNoonLinear, 1_700_000_000_000_000_123);
    private readonly SteppingCounter _tsc = new(VirtioRtcHwCounter.X86Tsc, 1000, 10);

    private VirtioRtcDevice CreateDevice() => new(new VirtioRtcDeviceOptions
    {
        Clocks =
        [
            new DeviceClock(_utc),
            new DeviceClock(_tai, CrossTimestamp: new CrossTimestampConfig(_tsc, GuestCounterRelation.FromRatio(2.0, 7))),
            new DeviceClock(_smeared, AlarmCapable: true),
        ],
    });

    private static (int Used, byte[] Response) Submit(IVirtioDevice device, byte[] request, int writable = 64)
    {
        var response = new byte[writable];
        Array.Fill(response, (byte)0xAA);
        int used = device.ProcessRequest(0, request, response);
        return (used, response);
    }

    private static byte[] Request(Func<byte[], int> encode)
    {
        var buffer = new byte[32];
        return buffer[..encode(buffer)];
    }

    [Fact]
    public void Identity_DeviceId17_Version1AndAlarmFeatures_TwoQueues()
    {
        using var device = CreateDevice();
        Assert.Equal(17u, device.DeviceId);
        Assert.Equal((1UL << 32) | 1UL, device.DeviceFeatures);
        Assert.Equal(2, device.QueueCount);

        using var noAlarms = new VirtioRtcDevice(new VirtioRtcDeviceOptions { Clocks = [new DeviceClock(_utc)] });
        Assert.Equal(1UL << 32, noAlarms.DeviceFeatures);
    }

    [Fact]
    public void Options_WithoutClocks_AreRejectedWithAMessageNamingTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => new VirtioRtcDevice(new VirtioRtcDeviceOptions()));
        Assert.Contains("Clocks", ex.Message);
    }

    [Fact]
    public void Driver_ReadsConfigCapabilitiesAndClocks()
    {
        using var device = CreateDevice();
        var driver = new VirtioRtcDriver(new DirectRequestChannel(device));

        Assert.Equal(3, driver.ReadConfig().Value);
        Assert.Equal(new VirtioRtcClockCapabilities(TimeScale.Utc, SmearVariant.Unspecified, false), driver.ClockCapabilities(0).Value);
        Assert.Equal(new VirtioRtcClockCapabilities(TimeScale.Tai, SmearVariant.Unspecified, false), driver.ClockCapabilities(1).Value);
        Assert.Equal(new VirtioRtcClockCapabilities(TimeScale.UtcSmeared, SmearVariant.NoonLinear, true), driver.ClockCapabilities(2).Value);
        Assert.Equal(_utc.NowNs, driver.Read(0).Value);
        Assert.Equal(_tai.NowNs, driver.Read(1).Value);
        _tai.NowNs += 5;
        Assert.Equal(_tai.NowNs, driver.Read(1).Value);
        Assert.Equal(_smeared.NowNs, driver.Read(2).Value);
    }

    [Fact]
    public void ReadResponse_IsExactBytes_AndNothingBeyondIsWritten()
    {
        using var device = CreateDevice();
        _utc.NowNs = 0x0102030405060708;
        var (used, response) = Submit(device, [0x01, 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0, 0, 0, 0, 0, 0]);
        Assert.Equal(16, used);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 }, response[..16]);
        Assert.All(response[16..], b => Assert.Equal(0xAA, b));
    }

    [Fact]
    public void CrossTimestamp_OnlyWithTheConfiguredCounter()
    {
        using var device = CreateDevice();
        var driver = new VirtioRtcDriver(new DirectRequestChannel(device));

        Assert.True(driver.CrossCapabilities(1, VirtioRtcHwCounter.X86Tsc).Value);
        Assert.False(driver.CrossCapabilities(1, VirtioRtcHwCounter.ArmVct).Value);
        Assert.False(driver.CrossCapabilities(0, VirtioRtcHwCounter.X86Tsc).Value);
        Assert.False(driver.CrossCapabilities(0, VirtioRtcHwCounter.Invalid).Value);

        // the counter reads 1000 before and 1010 after the clock: midpoint 1005, guest = 2*1005 + 7
        var cross = driver.ReadCross(1, VirtioRtcHwCounter.X86Tsc).Value;
        Assert.Equal(new VirtioRtcCrossReading(_tai.NowNs, 2017), cross);

        Assert.Equal("EOPNOTSUPP", driver.ReadCross(1, VirtioRtcHwCounter.ArmVct).Error!.ErrnoName);
        Assert.Equal("EOPNOTSUPP", driver.ReadCross(0, VirtioRtcHwCounter.X86Tsc).Error!.ErrnoName);
        Assert.Equal("EOPNOTSUPP", driver.ReadCross(1, (VirtioRtcHwCounter)9).Error!.ErrnoName);
    }

    [Fact]
    public void UnknownMessageType_IsEopnotsupp()
    {
        using var device = CreateDevice();
        var (used, response) = Submit(device, [0x06, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal(8, used);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0 }, response[..8]);
        // the alarm notification type is not a request
        (used, response) = Submit(device, [0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal((8, (byte)2), (used, response[0]));
    }

    [Fact]
    public void ClockIdOutOfRange_IsEnodev_ForEveryClockRequest()
    {
        using var device = CreateDevice();
        var driver = new VirtioRtcDriver(new DirectRequestChannel(device));
        Assert.Equal(ClockErrorKind.DeviceGone, driver.Read(3).Error!.Kind);
        Assert.Equal("ENODEV", driver.Read(ushort.MaxValue).Error!.ErrnoName);
        Assert.Equal("ENODEV", driver.ReadCross(3, VirtioRtcHwCounter.X86Tsc).Error!.ErrnoName);
        Assert.Equal("ENODEV", driver.ClockCapabilities(3).Error!.ErrnoName);
        Assert.Equal("ENODEV", driver.CrossCapabilities(3, VirtioRtcHwCounter.X86Tsc).Error!.ErrnoName);
        Assert.Equal("ENODEV", driver.ReadAlarm(3).Error!.ErrnoName);
        Assert.Equal("ENODEV", driver.SetAlarm(3, 0, true)!.ErrnoName);
        Assert.Equal("ENODEV", driver.SetAlarmEnabled(3, true)!.ErrnoName);
    }

    [Fact]
    public void ShortReadablePart_IsEinval()
    {
        using var device = CreateDevice();
        var full = Request(b => VirtioRtcCodec.EncodeRead(b, 0));
        var (used, response) = Submit(device, full[..15]);
        Assert.Equal((8, (byte)4), (used, response[0]));
        (used, response) = Submit(device, full[..4]);
        Assert.Equal((8, (byte)4), (used, response[0]));
        (used, response) = Submit(device, []);
        Assert.Equal((8, (byte)4), (used, response[0]));
        var setAlarm = Request(b => VirtioRtcCodec.EncodeSetAlarm(b, 2, 5, 1));
        (used, response) = Submit(device, setAlarm[..16]);
        Assert.Equal((8, (byte)4), (used, response[0]));
    }

    [Fact]
    public void LongerReadablePart_IsAccepted()
    {
        using var device = CreateDevice();
        var padded = new byte[40];
        VirtioRtcCodec.EncodeRead(padded, 0);
        Assert.Equal(16, Submit(device, padded).Used);
    }

    [Fact]
    public void ShortWritablePart_IsEinvalInTheHead_OrNothingWithoutRoomForAHead()
    {
        using var device = CreateDevice();
        var read = Request(b => VirtioRtcCodec.EncodeRead(b, 0));
        var (used, response) = Submit(device, read, writable: 15);
        Assert.Equal(8, used);
        Assert.Equal(new byte[] { 4, 0, 0, 0, 0, 0, 0, 0 }, response[..8]);
        Assert.All(response[8..], b => Assert.Equal(0xAA, b));

        (used, response) = Submit(device, read, writable: 7);
        Assert.Equal(0, used);
        Assert.All(response, b => Assert.Equal(0xAA, b));

        var readAlarm = Request(b => VirtioRtcCodec.EncodeReadAlarm(b, 2));
        (used, response) = Submit(device, readAlarm, writable: 16);
        Assert.Equal((8, (byte)4), (used, response[0]));
    }

    [Fact]
    public void BadAlarmFlags_AreEinval_AndLeaveTheAlarmUnchanged()
    {
        using var device = CreateDevice();
        var driver = new VirtioRtcDriver(new DirectRequestChannel(device));
        var (used, response) = Submit(device, Request(b => VirtioRtcCodec.EncodeSetAlarm(b, 2, 99, 0x03)));
        Assert.Equal((8, (byte)4), (used, response[0]));
        (used, response) = Submit(device, Request(b => VirtioRtcCodec.EncodeSetAlarmEnabled(b, 2, 0x80)));
        Assert.Equal((8, (byte)4), (used, response[0]));
        Assert.Equal(new VirtioRtcAlarm(0, false), driver.ReadAlarm(2).Value);
    }

    [Fact]
    public void AlarmRequests_OnAClockWithoutAlarmCap_AreEopnotsupp()
    {
        using var device = CreateDevice();
        var driver = new VirtioRtcDriver(new DirectRequestChannel(device));
        Assert.Equal("EOPNOTSUPP", driver.ReadAlarm(0).Error!.ErrnoName);
        Assert.Equal("EOPNOTSUPP", driver.SetAlarm(0, 1, true)!.ErrnoName);
        Assert.Equal("EOPNOTSUPP", driver.SetAlarmEnabled(1, false)!.ErrnoName);
    }

    [Fact]
    public void AlarmRequests_WhenTheDriverDidNotNegotiateFAlarm_AreEopnotsupp()
    {
        using var device = CreateDevice();
        var driver = new VirtioRtcDriver(new DirectRequestChannel(device));
        device.SetDriverFeatures(VirtioRtcConstants.FeatureVersion1);
        Assert.Equal("EOPNOTSUPP", driver.ReadAlarm(2).Error!.ErrnoName);
        device.SetDriverFeatures(device.DeviceFeatures);
        Assert.True(driver.ReadAlarm(2).IsOk);
    }

    [Fact]
    public void ControlAnswers_AreConstant_AcrossCallsAndReset()
    {
        using var device = CreateDevice();
        byte[][] requests =
        [
            Request(b => VirtioRtcCodec.EncodeCfg(b)),
            .. Enumerable.Range(0, 3).Select(id => Request(b => VirtioRtcCodec.EncodeClockCap(b, (ushort)id))),
            .. Enumerable.Range(0, 3).SelectMany(id => new[] { VirtioRtcHwCounter.ArmVct, VirtioRtcHwCounter.X86Tsc, VirtioRtcHwCounter.Invalid }
                .Select(counter => Request(b => VirtioRtcCodec.EncodeCrossCap(b, (ushort)id, counter)))),
        ];
        var first = requests.Select(r => Submit(device, r)).Select(x => (x.Used, Convert.ToHexString(x.Response))).ToArray();
        _utc.NowNs += 1_000_000_000;
        var again = requests.Select(r => Submit(device, r)).Select(x => (x.Used, Convert.ToHexString(x.Response))).ToArray();
        device.Reset();
        device.SetDriverFeatures(device.DeviceFeatures);
        var afterReset = requests.Select(r => Submit(device, r)).Select(x => (x.Used, Convert.ToHexString(x.Response))).ToArray();
        Assert.Equal(first, again);
        Assert.Equal(first, afterReset);
        Assert.All(first, x => Assert.Equal(16, x.Used));
    }

    [Fact]
    public void RequestsOnOtherQueues_AreNotAnswered()
    {
        using var device = CreateDevice();
        var response = new byte[16];
        Assert.Equal(0, device.ProcessRequest(1, Request(b => VirtioRtcCodec.EncodeRead(b, 0)), response));
        Assert.Equal(0, device.ProcessRequest(-1, Request(b => VirtioRtcCodec.EncodeRead(b, 0)), response));
    }

    [Fact]
    public void AFailingClockSource_GivesEio_NotAnException()
    {
        using var device = new VirtioRtcDevice(new VirtioRtcDeviceOptions { Clocks = [new DeviceClock(new ThrowingClockSource())] });
        var driver = new VirtioRtcDriver(new DirectRequestChannel(device));
        var error = driver.Read(0).Error!;
        Assert.Equal("EIO", error.ErrnoName);
        Assert.Equal(1, device.FailedRequests);
        Assert.True(driver.ClockCapabilities(0).IsOk);
    }

    [Fact]
    public void DescribeClocks_NamesScaleAlarmAndCrossSupport()
    {
        using var device = CreateDevice();
        var lines = device.DescribeClocks();
        Assert.Equal(3, lines.Count);
        Assert.StartsWith("clock 0: utc from", lines[0]);
        Assert.EndsWith("alarm no, cross-timestamp none", lines[0]);
        Assert.EndsWith("alarm no, cross-timestamp X86Tsc", lines[1]);
        Assert.Contains("clock 2: utc-smeared-noon", lines[2]);
        Assert.Contains("alarm yes", lines[2]);
    }

    [Fact]
    public void AliasedRequestAndResponseBuffers_AreDecodedBeforeTheResponseIsWritten()
    {
        using var device = CreateDevice();
        var shared = new byte[24];
        VirtioRtcCodec.EncodeReadCross(shared, 1, VirtioRtcHwCounter.X86Tsc);
        int used = device.ProcessRequest(0, shared, shared);
        Assert.Equal(24, used);
        Assert.Equal(VirtioRtcStatus.Ok, VirtioRtcCodec.DecodeStatus(shared));
        Assert.Equal(_tai.NowNs, VirtioRtcCodec.DecodeReadCrossResponse(shared).ClockNs);
    }
}
