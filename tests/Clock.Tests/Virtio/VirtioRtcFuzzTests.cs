using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using Sync.Clock.Virtio.Rtc;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.Virtio;

public class VirtioRtcFuzzTests
{
    private static readonly ushort[] KnownTypes = [0x0001, 0x0002, 0x1000, 0x1001, 0x1002, 0x1003, 0x1004, 0x1005, 0x2000];

    [Theory]
    [InlineData(1)]
    [InlineData(20261125)]
    public void RandomRequestBuffers_NeverThrow_NeverOverrun_AndUseOnlyLegalLengths(int seed)
    {
        var random = new Random(seed);
        var time = new FakeTimeProvider();
        var clock = new ManualClockSource(ClockScale.UtcSmearedNoonLinear, 1_000_000_000);
        using var device = new VirtioRtcDevice(new VirtioRtcDeviceOptions
        {
            Clocks =
            [
                new DeviceClock(new ManualClockSource(ClockScale.Utc, 5)),
                new DeviceClock(clock, AlarmCapable: true),
                new DeviceClock(new ManualClockSource(ClockScale.Tai, 7),
                    CrossTimestamp: new CrossTimestampConfig(new SteppingCounter(VirtioRtcHwCounter.ArmVct, 0, 3), GuestCounterRelation.Identity)),
            ],
        }, time);

        var statuses = new Dictionary<VirtioRtcStatus, int>();
        var notification = new byte[16];
        const int Iterations = 6000;
        for (int i = 0; i < Iterations; i++)
        {
            var readable = new byte[random.Next(0, 33)];
            random.NextBytes(readable);
            if (readable.Length >= 2 && random.Next(4) != 0)
                BinaryPrimitives.WriteUInt16LittleEndian(readable, KnownTypes[random.Next(KnownTypes.Length)]);
            if (readable.Length >= 10 && random.Next(3) != 0)
                BinaryPrimitives.WriteUInt16LittleEndian(readable.AsSpan(8), (ushort)random.Next(0, 4));
            if (readable.Length >= 18 && random.Next(2) == 0)
                BinaryPrimitives.WriteUInt16LittleEndian(readable.AsSpan(16), (ushort)random.Next(0, 4));
            if (readable.Length >= 11 && random.Next(2) == 0)
                readable[10] = (byte)random.Next(0, 3);
            if (readable.Length >= 19 && random.Next(2) == 0)
                readable[18] = (byte)random.Next(0, 3);

            int writableLength = random.Next(0, 33);
            var writable = new byte[writableLength + 8];
            Array.Fill(writable, (byte)0xA5);
            int used = device.ProcessRequest(0, readable, writable.AsSpan(0, writableLength));

            var type = readable.Length >= 2 ? (VirtioRtcMessageType)BinaryPrimitives.ReadUInt16LittleEndian(readable) : 0;
            int responseSize = VirtioRtcMessageSizes.Response(type);
            Assert.True(used == 0 || used == 8 || used == responseSize, $"iteration {i}: used {used} for type {type:X} (response {responseSize})");
            Assert.True(used <= writableLength, $"iteration {i}: used {used} > writable {writableLength}");
            Assert.Equal(used == 0, writableLength < 8);
            Assert.All(writable[used..], b => Assert.Equal(0xA5, b));
            if (used >= 8)
            {
                var status = (VirtioRtcStatus)writable[0];
                Assert.Contains(status, new[] { VirtioRtcStatus.Ok, VirtioRtcStatus.NotSupported, VirtioRtcStatus.NoDevice, VirtioRtcStatus.InvalidArgument });
                Assert.Equal(status == VirtioRtcStatus.Ok ? responseSize : 8, used);
                Assert.All(writable[1..8], b => Assert.Equal(0, b));
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
            }

            if (random.Next(50) == 0) clock.NowNs += random.NextInt64(-2_000_000_000, 5_000_000_000);
            if (random.Next(20) == 0) time.Advance(TimeSpan.FromMilliseconds(random.Next(1, 2000)));
            if (random.Next(10) == 0) device.TryWriteNotification(1, notification.AsSpan(0, random.Next(0, 17)), out _);
            if (random.Next(500) == 0) device.Reset();
        }

        // the generator must really reach every outcome, or the property above proves little
        Assert.All(new[] { VirtioRtcStatus.Ok, VirtioRtcStatus.NotSupported, VirtioRtcStatus.NoDevice, VirtioRtcStatus.InvalidArgument },
            s => Assert.True(statuses.GetValueOrDefault(s) > 50, $"{s}: {statuses.GetValueOrDefault(s)}"));
        Assert.Equal(0, device.FailedRequests);
    }
}
