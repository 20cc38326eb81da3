using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Sync.Clock.Tests.Virtio;
using Sync.Clock.Virtio;
using Sync.Clock.Virtio.Rtc;
using Sync.Clock.VhostUser;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>
/// A served front end survives the back end's restart: the fds live on in a file descriptor store, the state in a
/// state file, and a new server takes over the same socket. The old server is abandoned with a stop, which (like a
/// crash) writes nothing: what the new one finds is what was persisted while serving.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VhostUserRestartTests : IDisposable
{
    private const long FirstNowNs = 1_764_000_000_000_000_000;
    private const long SecondNowNs = FirstNowNs + 86_400_000_000_000;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"vhost-restart-{Guid.NewGuid():N}"[..28]);
    private readonly ManualClockSource _clock = new(ClockScale.Utc, FirstNowNs);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string SocketPath => Path.Combine(_directory, "rtc.sock");
    private string StatePath => Path.Combine(_directory, "state");

    private VirtioRtcDevice NewDevice() => new(new VirtioRtcDeviceOptions
    {
        Clocks = [new DeviceClock(_clock, AlarmCapable: true)],
    });

    private VhostUserServer NewServer(IFileDescriptorStore store, ILogger<VhostUserServer>? logger = null) => new(
        new VhostUserServerOptions { SocketPath = SocketPath, StateDirectory = StatePath, FileDescriptorStore = store },
        NewDevice, logger);

    /// <summary>The guest driver's requestq over the test front end; descriptors advance by two per request.</summary>
    private sealed class FrontEndChannel(VhostUserTestFrontEnd frontEnd) : IVirtioRequestChannel
    {
        public ushort NextDescriptor { get; private set; }

        public ushort TakeDescriptor()
        {
            ushort descriptor = NextDescriptor;
            NextDescriptor = (ushort)((NextDescriptor + 2) % VhostUserTestFrontEnd.QueueSize);
            return descriptor;
        }

        public int Submit(ReadOnlySpan<byte> request, Span<byte> response)
        {
            ushort descriptor = TakeDescriptor();
            var (id, length, bytes) = frontEnd.Submit(0, request, response.Length, descriptor);
            Assert.Equal(descriptor, id);
            bytes.CopyTo(response);
            return (int)length;
        }
    }

    private static readonly string[] ConnectionOneFds =
        ["listen", "vu1-call0", "vu1-call1", "vu1-err0", "vu1-err1", "vu1-kick0", "vu1-kick1", "vu1-mem0", "vu1-sock"];

    [Fact]
    public async Task ConnectionSurvivesARestartThroughTheNotifySocketFdStore()
    {
        using var receiver = new NotifySocketFdStoreReceiver();
        using var store = SystemdFileDescriptorStore.Create(receiver.Address);
        Assert.NotNull(store);
        await RunRestartScenario(store, receiver.Store, receiver.Flush);
        Assert.Empty(receiver.Unexpected);
        Assert.Equal(0, store.SendFailures);
    }

    [Fact]
    public async Task ConnectionSurvivesARestartThroughAnInjectedFdStore()
    {
        using var store = new InMemoryFdStore();
        await RunRestartScenario(store, store, () => { });
    }

    [Fact]
    public async Task AnAlarmArmedBeforeARestartIsKeptAndFiresAfterIt()
    {
        using var store = new InMemoryFdStore();
        await using var first = NewServer(store);
        first.Start();
        using var frontEnd = new VhostUserTestFrontEnd(SocketPath);
        var (features, _) = frontEnd.StartLikeQemu(ulong.MaxValue);
        frontEnd.DriverStartLikeQemu(features, queueCount: 2);
        var driver = new VirtioRtcDriver(new FrontEndChannel(frontEnd));
        ulong alarmAt = (ulong)(FirstNowNs + 3_600_000_000_000);
        Assert.Null(driver.SetAlarm(0, alarmAt, enabled: true));
        ulong alarmBuffer = frontEnd.PostEventBuffer(1, VirtioRtcConstants.AlarmNotificationSize);
        Assert.Equal(features, frontEnd.GetU64(VhostUserRequest.GetFeatures)); // every message before it is handled
        await first.StopAsync();

        await using var second = NewServer(store);
        second.Start(store.HandOver());
        Assert.Single(second.RestoredConnections);
        Assert.Equal(new VirtioRtcAlarm(alarmAt, true), driver.ReadAlarm(0).Value); // the new device knows the alarm
        _clock.NowNs = (long)alarmAt + 1;
        var (alarmId, alarmLength) = frontEnd.WaitUsed(1); // and fires it when its time comes
        Assert.Equal(0u, alarmId);
        Assert.Equal((uint)VirtioRtcConstants.AlarmNotificationSize, alarmLength);
        Assert.Equal(0x2000, BinaryPrimitives.ReadUInt16LittleEndian(frontEnd.Guest(alarmBuffer, 2)));
    }

    [Fact]
    public void TheStateFileCarriesTheDeviceStateAndVersion1FilesStillRead()
    {
        var snapshot = new ConnectionSnapshot(3, 1, 2, 15, [], [new SnapshotVring(64, 5, true, true, true, true, false, 1, 2, 3)])
        {
            DeviceState = [1, 2, 3, 4],
        };
        var bytes = ConnectionSnapshotFormat.Encode(snapshot);
        Assert.True(ConnectionSnapshotFormat.TryDecode(bytes, out var decoded, out string problem), problem);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, decoded.DeviceState);
        Assert.Equal(snapshot.Vrings, decoded.Vrings);

        // The same connection as a version 1 file (what a serve before this change wrote): no device state.
        var v1 = bytes.AsSpan(0, bytes.Length - 8 - 4 - 4).ToArray();
        "VSVUSTA1"u8.CopyTo(v1);
        ulong hash = 0xcbf29ce484222325;
        foreach (byte b in v1)
        {
            hash = (hash ^ b) * 0x100000001b3;
        }
        var withChecksum = new byte[v1.Length + 8];
        v1.CopyTo(withChecksum, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(withChecksum.AsSpan(v1.Length), hash);
        Assert.True(ConnectionSnapshotFormat.TryDecode(withChecksum, out var old, out problem), problem);
        Assert.Empty(old.DeviceState);
        Assert.Equal(snapshot.Vrings, old.Vrings);
    }

    private async Task RunRestartScenario(IFileDescriptorStore store, InMemoryFdStore contents, Action flush)
    {
        await using var first = NewServer(store);
        first.Start();
        using var frontEnd = new VhostUserTestFrontEnd(SocketPath);
        var (features, _) = frontEnd.StartLikeQemu(ulong.MaxValue);
        frontEnd.DriverStartLikeQemu(features, queueCount: 2);
        Assert.Equal(features, frontEnd.GetU64(VhostUserRequest.GetFeatures)); // a reply: every message before it is handled
        var channel = new FrontEndChannel(frontEnd);
        var driver = new VirtioRtcDriver(channel);
        Assert.Equal(1, driver.ReadConfig().Value);
        Assert.Equal(FirstNowNs, driver.Read(0).Value);
        Assert.Equal(FirstNowNs, driver.Read(0).Value);
        ulong alarmBuffer = frontEnd.PostEventBuffer(1, VirtioRtcConstants.AlarmNotificationSize);
        flush();
        Assert.Equal(ConnectionOneFds, contents.Names);
        Assert.True(File.Exists(Path.Combine(StatePath, "vu1.state")));

        await first.StopAsync(); // the process is gone; the store still holds the front end's socket
        flush();
        Assert.Equal(ConnectionOneFds, contents.Names);
        _clock.NowNs = SecondNowNs;
        ushort deadDescriptor = channel.TakeDescriptor();
        var request = new byte[16];
        int requestLength = VirtioRtcCodec.EncodeRead(request, 0);
        ulong deadResponse = frontEnd.Post(0, request.AsSpan(0, requestLength), 16, deadDescriptor);

        var logger = new ListLogger<VhostUserServer>();
        await using var second = NewServer(store, logger);
        var accepted = new List<VhostUserConnection>();
        second.ConnectionAccepted += c => { lock (accepted) accepted.Add(c); };
        second.Start(contents.HandOver());
        var restored = Assert.Single(second.RestoredConnections);
        Assert.Equal(1, restored.Id);
        Assert.True(restored.IsRestored);

        // The request posted while no back end ran is answered by the new one, then serving goes on.
        var (id, length) = frontEnd.WaitUsed(0);
        Assert.Equal(deadDescriptor, id);
        Assert.Equal(16u, length);
        Assert.Equal(SecondNowNs, VirtioRtcCodec.DecodeReadResponse(frontEnd.Guest(deadResponse, 16)));
        Assert.Equal(SecondNowNs, driver.Read(0).Value);
        Assert.Equal(5, frontEnd.Driver(0).UsedIndex); // 3 before, 1 while dead, 1 after: nothing answered twice

        // The alarm buffer posted before the crash is still the device's to fill.
        Assert.Null(driver.SetAlarm(0, (ulong)(SecondNowNs - 1), enabled: true));
        var (alarmId, alarmLength) = frontEnd.WaitUsed(1);
        Assert.Equal(0u, alarmId);
        Assert.Equal((uint)VirtioRtcConstants.AlarmNotificationSize, alarmLength);
        Assert.Equal(0x2000, BinaryPrimitives.ReadUInt16LittleEndian(frontEnd.Guest(alarmBuffer, 2)));
        Assert.Equal(1, frontEnd.Driver(1).UsedIndex);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);

        // A new front end gets an id the restored connection does not have; each one's fds come and go with it.
        using (var other = new VhostUserTestFrontEnd(SocketPath))
        {
            Assert.NotEqual(0ul, other.GetU64(VhostUserRequest.GetFeatures));
            flush();
            Assert.Contains("vu2-sock", contents.Names);
            Assert.Contains(accepted, c => c.Id == 2);
        }
        await accepted.Single(c => c.Id == 2).Completion.WaitAsync(TimeSpan.FromSeconds(5));
        flush();
        Assert.Equal(ConnectionOneFds, contents.Names);

        frontEnd.ShutdownWrite(); // the VM goes away: nothing to keep
        await restored.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        flush();
        Assert.Equal(["listen"], contents.Names);
        Assert.False(File.Exists(Path.Combine(StatePath, "vu1.state")));
    }

    [Fact]
    public async Task RegionsOfOneMemfdAreStoredOnceAndBothComeBack()
    {
        // QEMU passes one memfd for the RAM below and above the PCI hole; systemd's store keeps one fd per open file.
        using var store = new InMemoryFdStore();
        await using var first = NewServer(store);
        first.Start();
        using var frontEnd = new VhostUserTestFrontEnd(SocketPath);
        var (features, _) = frontEnd.StartLikeQemu(ulong.MaxValue);
        frontEnd.DriverStartLikeQemu(features, queueCount: 2, splitMemoryAt: 0x10000); // rings below, buffers above
        Assert.Equal(features, frontEnd.GetU64(VhostUserRequest.GetFeatures));
        var driver = new VirtioRtcDriver(new FrontEndChannel(frontEnd));
        Assert.Equal(FirstNowNs, driver.Read(0).Value);
        Assert.Contains("vu1-mem0", store.Names);
        Assert.DoesNotContain("vu1-mem1", store.Names);
        await first.StopAsync();

        var logger = new ListLogger<VhostUserServer>();
        await using var second = NewServer(store, logger);
        second.Start(store.HandOver());
        Assert.Single(second.RestoredConnections);
        _clock.NowNs = SecondNowNs;
        Assert.Equal(SecondNowNs, driver.Read(0).Value);
        Assert.Equal(2, frontEnd.Driver(0).UsedIndex);
        Assert.Empty(logger.Warnings);
        Assert.Equal(1, store.Names.Count(n => n.StartsWith("vu1-mem", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TheListeningSocketOutlivesTheProcessAndKeepsWhoConnectsMeanwhile()
    {
        using var store = new InMemoryFdStore();
        var first = NewServer(store);
        first.Start();
        Assert.Equal(["listen"], store.Names);
        await first.StopAsync();
        Assert.True(File.Exists(SocketPath), "the socket file went away with the process");

        using var frontEnd = new VhostUserTestFrontEnd(SocketPath); // queued in the stored socket's backlog
        Assert.True(frontEnd.Send(VhostUserRequest.GetFeatures, []));
        var logger = new ListLogger<VhostUserServer>();
        await using var second = NewServer(store, logger);
        second.Start(store.HandOver());
        Assert.NotEqual(0ul, frontEnd.ReadU64Reply(VhostUserRequest.GetFeatures));
        Assert.Empty(logger.Warnings);
        Assert.Equal(["listen", "vu1-sock"], store.Names);
    }

    [Fact]
    public void FdsWithoutAStateFileAreClosedRemovedFromTheStoreAndLogged()
    {
        using var store = new InMemoryFdStore();
        var (socket, peer) = SocketPair();
        int kick = EventFds.Create();
        int stray = EventFds.Create();
        var logger = new ListLogger<VhostUserServer>();
        using (var server = NewServer(store, logger))
        {
            var accepted = new List<int>();
            server.ConnectionAccepted += c => { lock (accepted) accepted.Add(c.Id); };
            server.Start([new("vu7-sock", socket), new("vu7-kick0", kick), new("listen", stray)]);

            Assert.Empty(server.RestoredConnections);
            Assert.True(PeerSeesEndOfFile(peer), "the orphaned front-end socket was not closed");
            Assert.Contains(logger.Warnings, w => w.Contains("connection 7 not restored") && w.Contains("no state file"));
            Assert.Contains(logger.Warnings, w => w.Contains("'listen' is not a socket listening on"));
            Assert.Equal(["listen", "vu7-kick0", "vu7-sock"], store.Removed.Distinct().Order(StringComparer.Ordinal).ToArray());
            Assert.Equal(["listen"], store.Names); // the server's own listening socket, not the stray fd
            using var frontEnd = new VhostUserTestFrontEnd(SocketPath);
            Assert.NotEqual(0ul, frontEnd.GetU64(VhostUserRequest.GetFeatures));
            Assert.Equal([8], accepted);
        }
        LibC.Close(peer);
    }

    [Fact]
    public void CorruptStateFileIsDeletedAndItsFdsClosed()
    {
        Directory.CreateDirectory(StatePath);
        string stateFile = Path.Combine(StatePath, "vu3.state");
        var good = ConnectionSnapshotFormat.Encode(new ConnectionSnapshot(3, 0, 0, 0, [], []));
        good[^1] ^= 0x40;
        File.WriteAllBytes(stateFile, good);
        using var store = new InMemoryFdStore();
        var (socket, peer) = SocketPair();
        var logger = new ListLogger<VhostUserServer>();
        using (var server = NewServer(store, logger))
        {
            server.Start([new("vu3-sock", socket)]);
            Assert.Empty(server.RestoredConnections);
            Assert.True(PeerSeesEndOfFile(peer));
            Assert.Contains(logger.Warnings, w => w.Contains("connection 3 not restored") && w.Contains("checksum"));
            Assert.Equal(["vu3-sock"], store.Removed.Where(n => n != VhostUserServer.ListenFdName));
            Assert.False(File.Exists(stateFile));
        }
        LibC.Close(peer);
    }

    [Fact]
    public void StateNamingAnFdThatDidNotComeBackDropsTheConnection()
    {
        var directory = new ConnectionStateDirectory(StatePath);
        var vring = new SnapshotVring(64, 0, AddressSet: false, Enabled: true, HasKick: true, HasCall: false, HasErr: false, 0, 0, 0);
        Assert.True(directory.TryWrite(new ConnectionSnapshot(4, 0, 0, 0, [], [vring]), out _));
        using var store = new InMemoryFdStore();
        var (socket, peer) = SocketPair();
        int call = EventFds.Create();
        var logger = new ListLogger<VhostUserServer>();
        using (var server = NewServer(store, logger))
        {
            server.Start([new("vu4-sock", socket), new("vu4-call0", call)]);
            Assert.Empty(server.RestoredConnections);
            Assert.True(PeerSeesEndOfFile(peer));
            Assert.Contains(logger.Warnings, w => w.Contains("connection 4 not restored") && w.Contains("vu4-kick0 is missing"));
            Assert.Equal(["vu4-call0", "vu4-sock"], store.Removed.Where(n => n != VhostUserServer.ListenFdName).Order(StringComparer.Ordinal).ToArray());
            Assert.False(File.Exists(directory.FileOf(4)));
        }
        LibC.Close(peer);
    }

    [Fact]
    public void StateFilesWhoseFdsDidNotComeBackAreDeleted()
    {
        var directory = new ConnectionStateDirectory(StatePath);
        Assert.True(directory.TryWrite(new ConnectionSnapshot(9, 0, 0, 0, [], []), out _));
        using var store = new InMemoryFdStore();
        using var server = NewServer(store);
        server.Start();
        Assert.False(File.Exists(directory.FileOf(9)));
        using var frontEnd = new VhostUserTestFrontEnd(SocketPath);
        Assert.NotEqual(0ul, frontEnd.GetU64(VhostUserRequest.GetFeatures));
    }

    private static unsafe (int Socket, int Peer) SocketPair()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, LibC.SocketPair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, fds));
        return (fds[0], fds[1]);
    }

    private static unsafe bool PeerSeesEndOfFile(int peer)
    {
        var poll = new LibC.PollFd { Fd = peer, Events = LibC.POLLIN };
        if (LibC.Poll(&poll, 1, VhostUserTestFrontEnd.WaitMs) <= 0)
        {
            return false;
        }
        byte scratch;
        return LibC.Read(peer, &scratch, 1) == 0;
    }
}
