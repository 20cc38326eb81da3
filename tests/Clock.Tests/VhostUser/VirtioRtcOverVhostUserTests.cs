using System.Buffers.Binary;
using Sync.Clock.Tests.Virtio;
using Sync.Clock.Virtio;
using Sync.Clock.Virtio.Rtc;
using Sync.Clock.VhostUser;
using Sync.Filters.Time;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>The real virtio-rtc device behind both transports: the in-memory split ring and vhost-user.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VirtioRtcOverVhostUserTests : IDisposable
{
    private const long UtcNowNs = 1_764_000_000_000_000_000;
    private const long TaiOffsetNs = 37_000_000_000;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"vhost-rtc-{Guid.NewGuid():N}"[..24]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static VirtioRtcDevice NewDevice() => new(new VirtioRtcDeviceOptions
    {
        Clocks =
        [
            new DeviceClock(new ManualClockSource(ClockScale.Utc, UtcNowNs), AlarmCapable: true),
            new DeviceClock(new ManualClockSource(ClockScale.Tai, UtcNowNs + TaiOffsetNs)),
        ],
    });

    /// <summary>The guest driver's request channel over the test front end's requestq.</summary>
    private sealed class FrontEndChannel(VhostUserTestFrontEnd frontEnd) : IVirtioRequestChannel
    {
        private ushort _descriptor;

        public int Submit(ReadOnlySpan<byte> request, Span<byte> response)
        {
            var (_, length, bytes) = frontEnd.Submit(0, request, response.Length, _descriptor);
            _descriptor = (ushort)((_descriptor + 2) % VhostUserTestFrontEnd.QueueSize);
            bytes.CopyTo(response);
            return (int)length;
        }
    }

    private static void AssertDeviceAnswers(VirtioRtcDriver driver)
    {
        Assert.Equal(2, driver.ReadConfig().Value);
        Assert.Equal(UtcNowNs, driver.Read(0).Value);
        Assert.Equal(UtcNowNs + TaiOffsetNs, driver.Read(1).Value);
        var capabilities = driver.ClockCapabilities(0).Value;
        Assert.True(capabilities.AlarmCapable);
        Assert.False(driver.Read(7).IsOk);
    }

    [Fact]
    public void InMemoryChannelCarriesTheRealDevice()
    {
        using var device = NewDevice();
        AssertDeviceAnswers(new VirtioRtcDriver(new InMemoryVirtqueueChannel(device)));
    }

    [Fact]
    public void VhostUserCarriesTheRealDeviceIncludingAnAlarmNotification()
    {
        VirtioRtcDevice? served = null;
        using var server = new VhostUserServer(new VhostUserServerOptions { SocketPath = Path.Combine(_directory, "rtc.sock") },
            () => served = NewDevice());
        server.Start();
        using var frontEnd = new VhostUserTestFrontEnd(server.SocketPath);
        var (features, _) = frontEnd.StartLikeQemu(ulong.MaxValue);
        Assert.NotEqual(0ul, features & VirtioRtcConstants.FeatureAlarm);
        frontEnd.DriverStartLikeQemu(features, queueCount: 2);
        var driver = new VirtioRtcDriver(new FrontEndChannel(frontEnd));

        AssertDeviceAnswers(driver);

        ulong buffer = frontEnd.PostEventBuffer(1, VirtioRtcConstants.AlarmNotificationSize);
        Assert.Null(driver.SetAlarm(0, (ulong)(UtcNowNs - 1), enabled: true));
        var (id, length) = frontEnd.WaitUsed(1);
        Assert.Equal(0u, id);
        Assert.Equal((uint)VirtioRtcConstants.AlarmNotificationSize, length);
        var notification = frontEnd.Guest(buffer, VirtioRtcConstants.AlarmNotificationSize);
        Assert.Equal(0x2000, BinaryPrimitives.ReadUInt16LittleEndian(notification));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(notification.Slice(8)));
        Assert.NotNull(served);
    }

    [Fact]
    public void AConnectionsDeviceAndItsAlarmTimerAreReleasedWhenTheFrontEndLeaves()
    {
        var served = new System.Collections.Concurrent.ConcurrentQueue<VirtioRtcDevice>();
        using var server = new VhostUserServer(new VhostUserServerOptions { SocketPath = Path.Combine(_directory, "rtc.sock") },
            () =>
            {
                var device = NewDevice();
                served.Enqueue(device);
                return device;
            });
        server.Start();
        VirtioRtcDevice device;
        using (var frontEnd = new VhostUserTestFrontEnd(server.SocketPath))
        {
            var (features, _) = frontEnd.StartLikeQemu(ulong.MaxValue);
            frontEnd.DriverStartLikeQemu(features, queueCount: 2);
            var driver = new VirtioRtcDriver(new FrontEndChannel(frontEnd));
            Assert.Equal(UtcNowNs, driver.Read(0).Value);
            device = Assert.Single(served);
            Assert.False(device.AlarmTimerRunning); // idle: no timer at all
            Assert.Null(driver.SetAlarm(0, (ulong)(UtcNowNs + 3_600_000_000_000), enabled: true));
            Assert.True(device.AlarmTimerRunning); // armed: polled
        }
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((server.ActiveConnectionCount > 0 || device.AlarmTimerRunning) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }
        Assert.Equal(0, server.ActiveConnectionCount);
        Assert.False(device.AlarmTimerRunning); // disposed with its connection, armed alarm or not
    }

    [Fact]
    public void AFrontEndThatTruncatesItsMemoryLosesOnlyItsOwnConnection()
    {
        using var server = new VhostUserServer(new VhostUserServerOptions { SocketPath = Path.Combine(_directory, "rtc.sock") }, NewDevice);
        server.Start();
        using var good = new VhostUserTestFrontEnd(server.SocketPath);
        var (features, _) = good.StartLikeQemu(ulong.MaxValue);
        good.DriverStartLikeQemu(features, queueCount: 2);
        var driver = new VirtioRtcDriver(new FrontEndChannel(good));
        Assert.Equal(UtcNowNs, driver.Read(0).Value);

        using var hostile = new VhostUserTestFrontEnd(server.SocketPath, sealMemory: false);
        hostile.StartLikeQemu(ulong.MaxValue);
        hostile.SetU64(VhostUserRequest.SetFeatures, features);
        Assert.True(hostile.Send(VhostUserRequest.SetMemTable, hostile.MemTablePayload(), [hostile.MemoryFd]));
        Assert.Equal(0, Sync.Clock.Linux.Interop.LibC.Ftruncate(hostile.MemoryFd, 0)); // would SIGBUS a back end that mapped it
        Assert.True(hostile.IsClosedByBackEnd()); // refused: memory that can shrink is never mapped

        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(UtcNowNs, driver.Read(0).Value); // every other VM keeps being served
        }
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (server.ActiveConnectionCount != 1 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5); // the ended connection is released on a continuation
        }
        Assert.Equal(1, server.ActiveConnectionCount);
    }
}
