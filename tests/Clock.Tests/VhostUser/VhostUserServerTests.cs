using System.Buffers.Binary;
using System.Collections.Concurrent;
using Sync.Clock.VhostUser;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio;

namespace Sync.Clock.Tests.VhostUser;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VhostUserServerTests : IDisposable
{
    private const ulong ProtocolFeaturesBit = 1ul << 30;
    private const ulong AllProtocol = ulong.MaxValue;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"vhost-test-{Guid.NewGuid():N}"[..24]);
    private readonly ConcurrentQueue<EchoDevice> _devices = new();
    private readonly ConcurrentQueue<VhostUserConnection> _connections = new();
    private readonly VhostUserServer _server;

    public VhostUserServerTests()
    {
        _server = new VhostUserServer(new VhostUserServerOptions { SocketPath = SocketPath }, () =>
        {
            var device = new EchoDevice();
            _devices.Enqueue(device);
            return device;
        });
        _server.ConnectionAccepted += _connections.Enqueue;
        _server.Start();
    }

    private string SocketPath => Path.Combine(_directory, "sub", "vm.sock");

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private VhostUserTestFrontEnd Connect() => new(SocketPath);

    /// <summary>Start + driver start as QEMU 11 does it, with all offered protocol features.</summary>
    private static ulong Handshake(VhostUserTestFrontEnd frontEnd, int queues = 1, ulong protocolWanted = AllProtocol)
    {
        var (features, _) = frontEnd.StartLikeQemu(protocolWanted);
        frontEnd.DriverStartLikeQemu(features, queues);
        return features;
    }

    [Fact]
    public void SocketIsCreatedWithMode0660InANewDirectory()
    {
        Assert.True(File.Exists(SocketPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(SocketPath));
    }

    [Fact]
    public void QemuHandshakeThenRequestsRoundTripAndShutdownReportsTheRingBase()
    {
        using var frontEnd = Connect();
        var (features, protocol) = frontEnd.StartLikeQemu(AllProtocol);

        Assert.NotEqual(0ul, features & ProtocolFeaturesBit);
        Assert.NotEqual(0ul, features & VirtqueueFeatures.Version1);
        Assert.NotEqual(0ul, features & 1); // the device's own feature bit
        var offered = (VhostUserProtocolFeatures)protocol;
        Assert.True(offered.HasFlag(VhostUserProtocolFeatures.MultiQueue | VhostUserProtocolFeatures.ReplyAck));
        Assert.Equal(2ul, frontEnd.GetU64(VhostUserRequest.GetQueueNum));

        frontEnd.DriverStartLikeQemu(features, 1);
        for (int i = 0; i < 5; i++)
        {
            var (id, length, response) = frontEnd.Submit(0, [(byte)i, 0x10, 0x20], 16, descriptor: (ushort)(2 * i));
            Assert.Equal((uint)(2 * i), id);
            Assert.Equal(4u, length);
            Assert.Equal(new byte[] { 0, (byte)i, 0x10, 0x20 }, response);
        }
        Assert.Equal(5u, frontEnd.StopQueueLikeQemu(0));

        var device = Assert.Single(_devices);
        Assert.Equal(features & ~ProtocolFeaturesBit, device.NegotiatedFeatures);
        Assert.Equal(5, device.RequestCount);
    }

    [Fact]
    public void RingDoesNotRunBeforeEnableWhenProtocolFeaturesAreNegotiated()
    {
        using var frontEnd = Connect();
        var (features, _) = frontEnd.StartLikeQemu(AllProtocol);
        frontEnd.DriverStartLikeQemu(features, 1);
        // Acknowledged, so the back end cannot still be working on the earlier enable when the chain appears.
        Assert.Equal(0ul, frontEnd.SendWithAck(VhostUserRequest.SetVringEnable, VhostUserTestFrontEnd.VringState(0, 0)));
        var driver = frontEnd.Driver(0);
        ulong request = frontEnd.AllocateBuffer(4);
        driver.WriteDescriptor(0, request, 4, 0, 0);
        frontEnd.MakeAvailableRaw(0, 0);
        // A round trip on the control socket proves the kick was seen before we look.
        Assert.Equal(2ul, frontEnd.GetU64(VhostUserRequest.GetQueueNum));
        Assert.False(driver.TryTakeUsed(out _, out _));

        Assert.True(frontEnd.Send(VhostUserRequest.SetVringEnable, VhostUserTestFrontEnd.VringState(0, 1)));
        Assert.Equal((0u, 0u), frontEnd.WaitUsed(0)); // no writable part: used length 0
    }

    [Fact]
    public void StopLikeQemuWithStatusKeepsTheRingIndexForGetVringBase()
    {
        using var frontEnd = Connect();
        Handshake(frontEnd);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(2u, frontEnd.Submit(0, [1], 8, descriptor: (ushort)(2 * i)).Length);
        }
        // QEMU's vhost_dev_stop with STATUS negotiated: SET_STATUS 0, SET_VRING_ENABLE 0, GET_VRING_BASE.
        frontEnd.SetU64(VhostUserRequest.SetStatus, 0);
        Assert.Equal(3u, frontEnd.StopQueueLikeQemu(0));
    }

    [Fact]
    public void AlarmStyleNotificationFillsAPostedEventBufferAndSignalsCall()
    {
        using var frontEnd = Connect();
        Handshake(frontEnd, queues: 2);
        ulong buffer = frontEnd.PostEventBuffer(1, 16);
        Assert.Equal(2ul, frontEnd.GetU64(VhostUserRequest.GetQueueNum));
        Assert.False(frontEnd.Driver(1).TryTakeUsed(out _, out _));

        var device = Assert.Single(_devices);
        device.Raise([0x00, 0x20, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);

        Assert.Equal((0u, 16u), frontEnd.WaitUsed(1));
        Assert.Equal(new byte[] { 0x00, 0x20 }, frontEnd.Guest(buffer, 2).ToArray());
    }

    [Fact]
    public async Task ReconnectAfterDisconnectGetsAFreshDevice()
    {
        using (var first = Connect())
        {
            Handshake(first);
            Assert.Equal(4u, first.Submit(0, [1, 2, 3], 8).Length);
        }
        Assert.True(_connections.TryPeek(out var ended));
        await ended!.Completion.WaitAsync(TimeSpan.FromMilliseconds(VhostUserTestFrontEnd.WaitMs), TestContext.Current.CancellationToken);
        Assert.Contains("closed", ended.EndReason);

        using var second = Connect();
        Handshake(second);
        Assert.Equal(3u, second.Submit(0, [4, 5], 8).Length);
        Assert.Equal(2, _devices.Count);
        Assert.Equal(2, _server.AcceptedCount);
    }

    [Fact]
    public void GarbageOnOneConnectionDoesNotDisturbAnother()
    {
        using var good = Connect();
        using var bad = Connect();
        Handshake(good);
        Assert.Equal(3u, good.Submit(0, [7, 7], 8).Length);

        Assert.True(bad.SendRaw(0xDEAD, 0xFF, new byte[64]));

        Assert.True(bad.IsClosedByBackEnd());
        var (_, length, response) = good.Submit(0, [8, 9], 8, descriptor: 2);
        Assert.Equal(3u, length);
        Assert.Equal(new byte[] { 0, 8, 9 }, response);
    }

    public static TheoryData<string> DroppingMessages => new()
    {
        "bad-version", "reply-flag", "huge-size", "truncated-payload", "wrong-payload-size", "mem-table-without-fds",
        "bad-ring-index-no-ack", "get-vring-base-bad-index", "mem-table-region-count-mismatch",
    };

    [Theory]
    [MemberData(nameof(DroppingMessages))]
    public void MalformedMessageDropsOnlyThatConnection(string kind)
    {
        using (var frontEnd = Connect())
        {
            frontEnd.StartLikeQemu(protocolFeaturesWanted: 0);
            switch (kind)
            {
                case "bad-version":
                    Assert.True(frontEnd.SendRaw((uint)VhostUserRequest.GetFeatures, 2, []));
                    break;
                case "reply-flag":
                    Assert.True(frontEnd.SendRaw((uint)VhostUserRequest.GetFeatures, VhostUserHeader.Version1 | VhostUserHeader.ReplyFlag, []));
                    break;
                case "huge-size":
                    Assert.True(frontEnd.SendRaw((uint)VhostUserRequest.SetMemTable, 1, new byte[16], sizeOverride: 0x7FFF_FFFF));
                    break;
                case "truncated-payload":
                    Assert.True(frontEnd.SendRaw((uint)VhostUserRequest.SetVringAddr, 1, new byte[10], sizeOverride: 40));
                    frontEnd.ShutdownWrite();
                    break;
                case "wrong-payload-size":
                    Assert.True(frontEnd.Send(VhostUserRequest.SetVringNum, new byte[4]));
                    break;
                case "mem-table-without-fds":
                    Assert.True(frontEnd.Send(VhostUserRequest.SetMemTable, frontEnd.MemTablePayload()));
                    break;
                case "mem-table-region-count-mismatch":
                    var payload = frontEnd.MemTablePayload();
                    BinaryPrimitives.WriteUInt32LittleEndian(payload, 3);
                    Assert.True(frontEnd.Send(VhostUserRequest.SetMemTable, payload, [frontEnd.MemoryFd]));
                    break;
                case "bad-ring-index-no-ack":
                    Assert.True(frontEnd.Send(VhostUserRequest.SetVringNum, VhostUserTestFrontEnd.VringState(7, 64)));
                    break;
                case "get-vring-base-bad-index":
                    Assert.True(frontEnd.Send(VhostUserRequest.GetVringBase, VhostUserTestFrontEnd.VringState(9, 0)));
                    break;
            }
            Assert.True(frontEnd.IsClosedByBackEnd(), $"{kind}: the back end kept the connection");
        }
        using var next = Connect();
        Handshake(next);
        Assert.Equal(2u, next.Submit(0, [1], 8).Length);
    }

    [Fact]
    public void SeededRandomMessagesNeverTakeTheServerDown()
    {
        var random = new Random(4711);
        for (int connection = 0; connection < 40; connection++)
        {
            using var frontEnd = Connect();
            if (random.Next(2) == 0)
            {
                frontEnd.StartLikeQemu(AllProtocol);
            }
            for (int message = 0; message < 20; message++)
            {
                var payload = new byte[random.Next(0, 300)];
                random.NextBytes(payload);
                if (payload.Length >= 4 && random.Next(2) == 0)
                {
                    payload[0] = (byte)random.Next(0, 3); // plausible ring index / region count
                    payload[1] = payload[2] = payload[3] = 0;
                }
                uint flags = random.Next(4) == 0 ? (uint)random.Next() : VhostUserHeader.Version1;
                if (!frontEnd.SendRaw((uint)random.Next(0, 45), flags, payload))
                {
                    break; // the back end already dropped us
                }
            }
        }
        Assert.All(_connections, c => Assert.True(c.Completion.Wait(VhostUserTestFrontEnd.WaitMs)));
        using var good = Connect();
        Handshake(good);
        Assert.Equal(2u, good.Submit(0, [1], 8).Length);
    }

    [Fact]
    public void WithReplyAckRefusedRequestsGetAnErrorAndTheConnectionStays()
    {
        using var frontEnd = Connect();
        var (features, _) = frontEnd.StartLikeQemu(AllProtocol);

        Assert.NotEqual(0ul, frontEnd.SendWithAck(VhostUserRequest.SetMemTable, frontEnd.MemTablePayload()));
        Assert.NotEqual(0ul, frontEnd.SendWithAck(VhostUserRequest.SetVringNum, VhostUserTestFrontEnd.VringState(7, 64)));
        Assert.NotEqual(0ul, frontEnd.SendWithAck(VhostUserRequest.SetVringNum, VhostUserTestFrontEnd.VringState(0, 100)));
        Assert.NotEqual(0ul, frontEnd.SendWithAck(VhostUserRequest.SetFeatures, VhostUserTestFrontEnd.U64(1ul << 50)));
        Assert.NotEqual(0ul, frontEnd.SendWithAck((VhostUserRequest)99, []));
        int notAnEventFd = GuestMemoryTests.CreateMemfd(16);
        Assert.NotEqual(0ul, frontEnd.SendWithAck(VhostUserRequest.SetVringKick, VhostUserTestFrontEnd.U64(0), [notAnEventFd]));
        LibC.Close(notAnEventFd);
        Assert.Equal(0ul, frontEnd.SendWithAck(VhostUserRequest.SetOwner, []));

        frontEnd.DriverStartLikeQemu(features, 1);
        Assert.Equal(2u, frontEnd.Submit(0, [3], 8).Length);
    }

    [Fact]
    public void UnknownRequestWithoutReplyIsIgnored()
    {
        using var frontEnd = Connect();
        frontEnd.StartLikeQemu(AllProtocol);
        Assert.True(frontEnd.Send((VhostUserRequest)99, new byte[8]));
        Assert.Equal(2ul, frontEnd.GetU64(VhostUserRequest.GetQueueNum));
    }

    [Fact]
    public void ConfigIsNotOfferedButGetConfigAnswersZerosOfTheRequestedSize()
    {
        using var frontEnd = Connect();
        var (_, protocol) = frontEnd.StartLikeQemu(AllProtocol);
        Assert.Equal(0ul, protocol & (ulong)VhostUserProtocolFeatures.Config); // QEMU 11.1 warns at every connection otherwise
        Assert.NotEqual(0ul, protocol & (ulong)VhostUserProtocolFeatures.ReplyAck);
        var request = new byte[12 + 8];
        BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(4), 8);
        request.AsSpan(12).Fill(0xFF);
        Assert.True(frontEnd.Send(VhostUserRequest.GetConfig, request));

        var (header, payload) = frontEnd.ReadReply();

        Assert.Equal((uint)VhostUserRequest.GetConfig, header.Request);
        Assert.Equal(20, payload.Length);
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(4)));
        Assert.All(payload[12..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void StatusAndResetDeviceReachTheDevice()
    {
        using var frontEnd = Connect();
        frontEnd.StartLikeQemu(AllProtocol);
        frontEnd.SetU64(VhostUserRequest.SetStatus, 0x0F);
        Assert.Equal(0x0Ful, frontEnd.GetU64(VhostUserRequest.GetStatus));
        frontEnd.SetU64(VhostUserRequest.SetStatus, 0);
        Assert.Equal(0ul, frontEnd.GetU64(VhostUserRequest.GetStatus));
        Assert.Equal(0ul, frontEnd.SendWithAck(VhostUserRequest.ResetDevice, []));
        Assert.Equal(2, Assert.Single(_devices).ResetCount);
    }

    [Fact]
    public void HostileChainsAreAnsweredWithZeroLengthAndTheRingKeepsWorking()
    {
        using var frontEnd = Connect();
        Handshake(frontEnd);
        var driver = frontEnd.Driver(0);
        driver.WriteDescriptor(10, 0x20000, 4, VirtqueueFlags.DescriptorNext, 11);
        driver.WriteDescriptor(11, 0x20000, 4, VirtqueueFlags.DescriptorNext, 10);   // loop
        frontEnd.MakeAvailableRaw(0, 10);
        Assert.Equal((10u, 0u), frontEnd.WaitUsed(0));
        driver.WriteDescriptor(12, 1ul << 40, 4, 0, 0);                               // outside memory
        frontEnd.MakeAvailableRaw(0, 12);
        Assert.Equal((12u, 0u), frontEnd.WaitUsed(0));

        Assert.Equal(2u, frontEnd.Submit(0, [1], 8).Length);
    }

    [Fact]
    public void MemorySlotsCanBeAddedAndRemovedWhenOffered()
    {
        using var server = new VhostUserServer(new VhostUserServerOptions
        {
            SocketPath = Path.Combine(_directory, "slots.sock"),
            ProtocolFeatures = VhostUserProtocolFeatures.ReplyAck | VhostUserProtocolFeatures.ConfigureMemSlots,
        }, () => new EchoDevice());
        server.Start();
        using var frontEnd = new VhostUserTestFrontEnd(server.SocketPath);
        var (features, _) = frontEnd.StartLikeQemu(AllProtocol);
        Assert.Equal((ulong)MappedGuestMemory.MaxRegions, frontEnd.GetU64(VhostUserRequest.GetMaxMemSlots));
        var region = new byte[40];
        frontEnd.MemTablePayload().AsSpan(8).CopyTo(region.AsSpan(8));
        frontEnd.SetU64(VhostUserRequest.SetFeatures, features);
        Assert.Equal(0ul, frontEnd.SendWithAck(VhostUserRequest.AddMemReg, region, [frontEnd.MemoryFd]));
        frontEnd.SetUpQueue(0, VhostUserTestFrontEnd.QueueSize);
        Assert.Equal(2u, frontEnd.Submit(0, [1], 8).Length);

        Assert.Equal(0ul, frontEnd.SendWithAck(VhostUserRequest.RemMemReg, region));
        Assert.NotEqual(0ul, frontEnd.SendWithAck(VhostUserRequest.RemMemReg, region));
    }

    [Fact]
    public void StaleSocketIsReplacedButALiveOneOrAFileIsNot()
    {
        string stalePath = Path.Combine(_directory, "stale.sock");
        var first = new VhostUserServer(new VhostUserServerOptions { SocketPath = stalePath }, () => new EchoDevice());
        first.Start();
        Assert.Throws<IOException>(() => new VhostUserServer(new VhostUserServerOptions { SocketPath = stalePath }, () => new EchoDevice()).Start());
        first.Dispose();

        // Leave a socket file behind with nobody listening (as after a crash).
        int fd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM, 0);
        Span<byte> address = stackalloc byte[110];
        int length = LibC.FillSockaddrUn(address, stalePath);
        unsafe
        {
            fixed (byte* pointer = address)
            {
                Assert.Equal(0, LibC.Bind(fd, pointer, (uint)length));
            }
        }
        LibC.Close(fd);
        using (var second = new VhostUserServer(new VhostUserServerOptions { SocketPath = stalePath }, () => new EchoDevice()))
        {
            second.Start();
            using var frontEnd = new VhostUserTestFrontEnd(stalePath);
            Assert.NotEqual(0ul, frontEnd.GetU64(VhostUserRequest.GetFeatures));
        }

        string filePath = Path.Combine(_directory, "not-a-socket");
        File.WriteAllText(filePath, "keep me");
        Assert.Throws<IOException>(() => new VhostUserServer(new VhostUserServerOptions { SocketPath = filePath }, () => new EchoDevice()).Start());
        Assert.Equal("keep me", File.ReadAllText(filePath));
    }

    [Fact]
    public async Task StopEndsConnectionsAndRemovesTheSocket()
    {
        using var frontEnd = Connect();
        Handshake(frontEnd);
        Assert.Equal(2u, frontEnd.Submit(0, [1], 8).Length);

        await _server.StopAsync();

        Assert.True(frontEnd.IsClosedByBackEnd());
        Assert.False(File.Exists(SocketPath));
        Assert.Equal(0, _server.ActiveConnectionCount);
    }
}
