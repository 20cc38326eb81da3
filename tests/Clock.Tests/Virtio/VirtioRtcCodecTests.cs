using Sync.Clock.Virtio.Rtc;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.Virtio;

public class VirtioRtcCodecTests
{
    private static byte[] Encode(Func<byte[], int> encoder, int capacity = 32)
    {
        var buffer = new byte[capacity];
        Array.Fill(buffer, (byte)0xEE); // reserved bytes must come out as zero, not as leftovers
        int length = encoder(buffer);
        return buffer[..length];
    }

    [Fact]
    public void ReadRequest_GoldenBytes()
    {
        byte[] expected = [0x01, 0x00, 0, 0, 0, 0, 0, 0, 0x34, 0x12, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeRead(b, 0x1234)));
        Assert.Equal(VirtioRtcStatus.Ok, VirtioRtcCodec.TryDecodeRequest(expected, out var request));
        Assert.Equal(new VirtioRtcRequest(VirtioRtcMessageType.Read, ClockId: 0x1234), request);
    }

    [Fact]
    public void ReadCrossRequest_GoldenBytes()
    {
        byte[] expected = [0x02, 0x00, 0, 0, 0, 0, 0, 0, 0x03, 0x00, 0x01, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeReadCross(b, 3, VirtioRtcHwCounter.X86Tsc)));
        Assert.Equal(VirtioRtcStatus.Ok, VirtioRtcCodec.TryDecodeRequest(expected, out var request));
        Assert.Equal(new VirtioRtcRequest(VirtioRtcMessageType.ReadCross, 3, VirtioRtcHwCounter.X86Tsc), request);
    }

    [Fact]
    public void CfgRequest_GoldenBytes()
    {
        byte[] expected = [0x00, 0x10, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeCfg(b)));
        Assert.Equal(VirtioRtcStatus.Ok, VirtioRtcCodec.TryDecodeRequest(expected, out var request));
        Assert.Equal(VirtioRtcMessageType.Cfg, request.Type);
        Assert.False(request.CarriesClockId);
    }

    [Fact]
    public void ClockCapRequest_GoldenBytes()
    {
        byte[] expected = [0x01, 0x10, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeClockCap(b, 2)));
        Assert.Equal(VirtioRtcStatus.Ok, VirtioRtcCodec.TryDecodeRequest(expected, out var request));
        Assert.Equal(new VirtioRtcRequest(VirtioRtcMessageType.ClockCap, 2), request);
    }

    [Fact]
    public void CrossCapRequest_GoldenBytes()
    {
        byte[] expected = [0x02, 0x10, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeCrossCap(b, 1, VirtioRtcHwCounter.ArmVct)));
        Assert.Equal(VirtioRtcStatus.Ok, VirtioRtcCodec.TryDecodeRequest(expected, out var request));
        Assert.Equal(new VirtioRtcRequest(VirtioRtcMessageType.CrossCap, 1, VirtioRtcHwCounter.ArmVct), request);
    }

    [Fact]
    public void ReadAlarmRequest_GoldenBytes()
    {
        byte[] expected = [0x03, 0x10, 0, 0, 0, 0, 0, 0, 0x05, 0x00, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeReadAlarm(b, 5)));
        Assert.Equal(VirtioRtcStatus.Ok, VirtioRtcCodec.TryDecodeRequest(expected, out var request));
        Assert.Equal(new VirtioRtcRequest(VirtioRtcMessageType.ReadAlarm, 5), request);
    }

    [Fact]
    public void SetAlarmRequest_GoldenBytes()
    {
        byte[] expected =
        [
            0x04, 0x10, 0, 0, 0, 0, 0, 0,
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
            0x02, 0x00, 0x01, 0, 0, 0, 0, 0,
        ];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeSetAlarm(b, 2, 0x0102030405060708UL, 1)));
        Assert.Equal(VirtioRtcStatus.Ok, VirtioRtcCodec.TryDecodeRequest(expected, out var request));
        Assert.Equal(new VirtioRtcRequest(VirtioRtcMessageType.SetAlarm, 2, AlarmTimeNs: 0x0102030405060708UL, Flags: 1), request);
    }

    [Fact]
    public void SetAlarmEnabledRequest_GoldenBytes()
    {
        byte[] expected = [0x05, 0x10, 0, 0, 0, 0, 0, 0, 0x07, 0x00, 0x01, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeSetAlarmEnabled(b, 7, 1)));
        Assert.Equal(VirtioRtcStatus.Ok, VirtioRtcCodec.TryDecodeRequest(expected, out var request));
        Assert.Equal(new VirtioRtcRequest(VirtioRtcMessageType.SetAlarmEnabled, 7, Flags: 1), request);
    }

    [Fact]
    public void ResponseHead_GoldenBytes()
    {
        Assert.Equal(new byte[] { 0x03, 0, 0, 0, 0, 0, 0, 0 }, Encode(b => VirtioRtcCodec.EncodeResponseHead(b, VirtioRtcStatus.NoDevice)));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 }, Encode(b => VirtioRtcCodec.EncodeResponseHead(b, VirtioRtcStatus.Ok)));
    }

    [Fact]
    public void ReadResponse_GoldenBytes()
    {
        byte[] expected = [0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xE8, 0x76, 0x48, 0x17, 0x00, 0x00, 0x00];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeReadResponse(b, 100_000_000_000L)));
        Assert.Equal(100_000_000_000L, VirtioRtcCodec.DecodeReadResponse(expected));
    }

    [Fact]
    public void ReadCrossResponse_GoldenBytes()
    {
        byte[] expected =
        [
            0, 0, 0, 0, 0, 0, 0, 0,
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0xFF, 0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
        ];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeReadCrossResponse(b, 1, 0x800000000000FEFFUL)));
        Assert.Equal(new VirtioRtcCrossReading(1, 0x800000000000FEFFUL), VirtioRtcCodec.DecodeReadCrossResponse(expected));
    }

    [Fact]
    public void CfgResponse_GoldenBytes()
    {
        byte[] expected = [0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x00, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeCfgResponse(b, 4)));
        Assert.Equal(4, VirtioRtcCodec.DecodeCfgResponse(expected));
    }

    [Fact]
    public void ClockCapResponse_GoldenBytes()
    {
        byte[] expected = [0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x02, 0x01, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeClockCapResponse(b, TimeScale.UtcSmeared, SmearVariant.UtcSls, 1)));
        var caps = VirtioRtcCodec.DecodeClockCapResponse(expected);
        Assert.Equal(new VirtioRtcClockCapabilities(TimeScale.UtcSmeared, SmearVariant.UtcSls, true), caps);
        Assert.Equal(ClockScale.UtcSmearedSls, caps.Scale);
    }

    [Fact]
    public void CrossCapResponse_GoldenBytes()
    {
        byte[] expected = [0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeCrossCapResponse(b, 1)));
        Assert.True(VirtioRtcCodec.DecodeCrossCapResponse(expected));
    }

    [Fact]
    public void ReadAlarmResponse_GoldenBytes()
    {
        byte[] expected =
        [
            0, 0, 0, 0, 0, 0, 0, 0,
            0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
            0x01, 0, 0, 0, 0, 0, 0, 0,
        ];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeReadAlarmResponse(b, 1UL << 32, 1)));
        Assert.Equal(new VirtioRtcAlarm(1UL << 32, true), VirtioRtcCodec.DecodeReadAlarmResponse(expected));
    }

    [Fact]
    public void AlarmNotification_GoldenBytes()
    {
        byte[] expected = [0x00, 0x20, 0, 0, 0, 0, 0, 0, 0x09, 0x00, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Encode(b => VirtioRtcCodec.EncodeAlarmNotification(b, 9)));
        Assert.True(VirtioRtcCodec.TryDecodeAlarmNotification(expected, out ushort clockId));
        Assert.Equal(9, clockId);
        Assert.False(VirtioRtcCodec.TryDecodeAlarmNotification(expected.AsSpan(0, 15), out _));
    }

    [Theory]
    [InlineData(VirtioRtcMessageType.Read, 16, 16)]
    [InlineData(VirtioRtcMessageType.ReadCross, 16, 24)]
    [InlineData(VirtioRtcMessageType.Cfg, 8, 16)]
    [InlineData(VirtioRtcMessageType.ClockCap, 16, 16)]
    [InlineData(VirtioRtcMessageType.CrossCap, 16, 16)]
    [InlineData(VirtioRtcMessageType.ReadAlarm, 16, 24)]
    [InlineData(VirtioRtcMessageType.SetAlarm, 24, 8)]
    [InlineData(VirtioRtcMessageType.SetAlarmEnabled, 16, 8)]
    [InlineData(VirtioRtcMessageType.AlarmNotification, 0, 0)]
    public void MessageSizes_MatchTheLinuxStructs(VirtioRtcMessageType type, int requestSize, int responseSize)
    {
        Assert.Equal(requestSize, VirtioRtcMessageSizes.Request(type));
        Assert.Equal(responseSize, VirtioRtcMessageSizes.Response(type));
    }

    [Fact]
    public void DecodeRequest_ShortOrUnknown_GivesTheSpecStatus()
    {
        Assert.Equal(VirtioRtcStatus.InvalidArgument, VirtioRtcCodec.TryDecodeRequest([0x01, 0x00, 0, 0], out _));
        Assert.Equal(VirtioRtcStatus.InvalidArgument, VirtioRtcCodec.TryDecodeRequest([0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0], out _));
        Assert.Equal(VirtioRtcStatus.NotSupported, VirtioRtcCodec.TryDecodeRequest([0x06, 0x10, 0, 0, 0, 0, 0, 0], out _));
        Assert.Equal(VirtioRtcStatus.NotSupported, VirtioRtcCodec.TryDecodeRequest([0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], out _));
    }

    [Fact]
    public void GuestCounterRelation_ScalesAndOffsets()
    {
        Assert.Equal(12345UL, GuestCounterRelation.Identity.ToGuest(12345));
        var half = GuestCounterRelation.FromRatio(0.5, 1000);
        Assert.Equal(1000UL + 50, half.ToGuest(100));
        var big = GuestCounterRelation.FromRatio(1.5, -10);
        Assert.Equal(ulong.MaxValue / 2 + ulong.MaxValue / 4 - 10, big.ToGuest(ulong.MaxValue / 2));
    }
}
