using System.Collections.Concurrent;
using Sync.Clock.VhostUser;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>
/// One thread serves every connection (<see cref="VhostUserEventLoop"/>), so nothing one front end does may block it:
/// half a message, a call eventfd that would block, replies it never reads.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VhostUserEventLoopTests : IDisposable
{
    private readonly string _directory = Path.Combine("/tmp", $"vhost-loop-{Guid.NewGuid():N}"[..24]);
    private readonly ConcurrentQueue<EchoDevice> _devices = new();
    private readonly ConcurrentQueue<VhostUserConnection> _connections = new();
    private readonly VhostUserServer _server;

    public VhostUserEventLoopTests()
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

    private string SocketPath => Path.Combine(_directory, "vm.sock");

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private VhostUserTestFrontEnd Ready()
    {
        var frontEnd = new VhostUserTestFrontEnd(SocketPath);
        var (features, _) = frontEnd.StartLikeQemu(ulong.MaxValue);
        frontEnd.DriverStartLikeQemu(features, 1);
        return frontEnd;
    }

    private static unsafe void WriteRaw(VhostUserTestFrontEnd frontEnd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* pointer = bytes)
        {
            Assert.Equal(bytes.Length, (int)LibC.Write(frontEnd.SocketFd, pointer, (nuint)bytes.Length));
        }
    }

    [Fact]
    public void EveryConnectionIsServedByTheSameSingleThread()
    {
        var frontEnds = Enumerable.Range(0, 12).Select(_ => Ready()).ToList();
        try
        {
            foreach (var frontEnd in frontEnds)
            {
                Assert.Equal(2u, frontEnd.Submit(0, [5], 8).Length);
            }
            var threads = _devices.Select(d => d.LastThreadId).Distinct().ToArray();
            Assert.Single(threads);
            Assert.NotEqual(Environment.CurrentManagedThreadId, threads[0]);
        }
        finally
        {
            frontEnds.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public void AcceptingRunsOnTheLoopThreadAndThereIsNoAcceptThread()
    {
        int acceptingThread = -1;
        _server.ConnectionAccepted += _ => Volatile.Write(ref acceptingThread, Environment.CurrentManagedThreadId);
        using var frontEnd = Ready();
        Assert.Equal(2u, frontEnd.Submit(0, [5], 8).Length);
        Assert.Equal(_devices.Single().LastThreadId, Volatile.Read(ref acceptingThread));
        var names = Directory.GetDirectories("/proc/self/task").Select(task => File.ReadAllText(Path.Combine(task, "comm")).Trim()).ToList();
        Assert.Contains("vhost-user-loop", names);
        Assert.DoesNotContain(names, name => name.StartsWith("vhost-user-acc", StringComparison.Ordinal));
    }

    [Fact]
    public void TheLoopThreadAsksTheSchedulerForTheShortestSlice()
    {
        long probed = -1;
        var probe = new Thread(() =>
        {
            if (Sync.Clock.Linux.SchedulingSlice.TryRequestForCurrentThread(Sync.Clock.Linux.SchedulingSlice.ShortestNs, out _))
            {
                probed = Sync.Clock.Linux.SchedulingSlice.CurrentNs(LibC.GetTid());
            }
        });
        probe.Start();
        probe.Join();
        Assert.SkipUnless(probed == Sync.Clock.Linux.SchedulingSlice.ShortestNs, $"this kernel has no custom slices (EEVDF, Linux 6.12+): probe read {probed}");
        using var frontEnd = Ready();
        Assert.Equal(2u, frontEnd.Submit(0, [5], 8).Length);
        // This server's loop thread (the one that served the request), not every loop of the process: tests running
        // beside this one have their own, and VhostUserRealtimeTests' runs under SCHED_FIFO, which has no such slice.
        int loop = _devices.Single().LastNativeThreadId;
        Assert.Equal("vhost-user-loop", File.ReadAllText($"/proc/self/task/{loop}/comm").Trim());
        Assert.Equal(Sync.Clock.Linux.SchedulingSlice.ShortestNs, Sync.Clock.Linux.SchedulingSlice.CurrentNs(loop));
    }

    [Fact]
    public async Task AnEndedConnectionLeavesTheServerAndReleasesItsDeviceBeforeItsCompletion()
    {
        var ended = new TaskCompletionSource<(bool Disposed, bool Completed, int Open)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ConnectionEnded += connection =>
            ended.TrySetResult((_devices.Single().Disposed, connection.Completion.IsCompleted, _server.ActiveConnectionCount));
        using (var frontEnd = Ready())
        {
            Assert.Equal(2u, frontEnd.Submit(0, [5], 8).Length);
            Assert.False(_devices.Single().Disposed);
        }
        var (disposed, completed, open) = await ended.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(disposed);
        Assert.False(completed);
        Assert.Equal(0, open);
        await _connections.Single().Completion.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void AFrontEndStuckHalfwayThroughAHeaderOrAPayloadDoesNotStallTheOthers()
    {
        using var good = Ready();
        using var stuck = Ready();
        var getQueueNum = new byte[VhostUserHeader.Bytes];
        new VhostUserHeader((uint)VhostUserRequest.GetQueueNum, VhostUserHeader.Version1, 0).Write(getQueueNum);

        WriteRaw(stuck, getQueueNum.AsSpan(0, 5)); // 5 of 12 header bytes, then silence
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(2u, good.Submit(0, [(byte)i], 8, descriptor: (ushort)(2 * i)).Length);
        }
        WriteRaw(stuck, getQueueNum.AsSpan(5));
        Assert.Equal(2ul, stuck.ReadU64Reply(VhostUserRequest.GetQueueNum));

        var setVringNum = new byte[VhostUserHeader.Bytes + 8];
        new VhostUserHeader((uint)VhostUserRequest.SetVringNum, VhostUserHeader.Version1 | VhostUserHeader.NeedReplyFlag, 8).Write(setVringNum);
        VhostUserTestFrontEnd.VringState(1, 32).CopyTo(setVringNum, VhostUserHeader.Bytes);
        WriteRaw(stuck, setVringNum.AsSpan(0, VhostUserHeader.Bytes + 3)); // header and 3 of 8 payload bytes
        Assert.Equal(2u, good.Submit(0, [42], 8, descriptor: 20).Length);
        WriteRaw(stuck, setVringNum.AsSpan(VhostUserHeader.Bytes + 3));
        Assert.Equal(0ul, stuck.ReadU64Reply(VhostUserRequest.SetVringNum)); // REPLY_ACK: done
        Assert.Equal(2u, stuck.Submit(0, [1], 8).Length);
    }

    [Fact]
    public unsafe void ACallEventfdThatWouldBlockDoesNotStallTheLoop()
    {
        using var good = Ready();
        using var hostile = Ready();
        // A blocking eventfd whose counter is one below its maximum: one more write would block the writer.
        int call = LibC.EventFd(0, LibC.EFD_CLOEXEC);
        ulong almostFull = 0xffff_ffff_ffff_fffe;
        Assert.Equal(8, (int)LibC.Write(call, &almostFull, 8));
        hostile.SetU64(VhostUserRequest.SetVringCall, 0, [call]);
        for (int i = 0; i < 5; i++)
        {
            hostile.Post(0, [9], 8, descriptor: (ushort)(2 * i));
        }
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(2u, good.Submit(0, [(byte)i], 8, descriptor: (ushort)(2 * i)).Length);
        }
        Assert.True(hostile.Driver(0).TryTakeUsed(out _, out uint length), "the hostile VM's request was not served");
        Assert.Equal(2u, length);
        LibC.Close(call);
    }

    [Fact]
    public async Task AFrontEndThatNeverReadsItsRepliesIsDroppedAndTheOthersAreServed()
    {
        using var good = Ready();
        using var deaf = new VhostUserTestFrontEnd(SocketPath);
        int sent = 0;
        while (sent < 200_000 && deaf.Send(VhostUserRequest.GetFeatures, []))
        {
            sent++; // until the back end gives up on us (EPIPE / ECONNRESET)
        }
        Assert.True(sent < 200_000, "the back end kept answering a front end that reads nothing");
        Assert.True(deaf.IsClosedByBackEnd());
        var ended = _connections.OrderBy(c => c.Id).Last();
        await ended.Completion.WaitAsync(TimeSpan.FromMilliseconds(VhostUserTestFrontEnd.WaitMs), TestContext.Current.CancellationToken);
        Assert.Contains("does not read its replies", ended.EndReason);
        Assert.Equal(2u, good.Submit(0, [3], 8).Length);
    }

    [Fact]
    public void KicksServedInOneBatchEachSignalTheirFrontEndsCall()
    {
        // More front ends than the loop defers calls for before it signals them mid-batch.
        var frontEnds = Enumerable.Range(0, 40).Select(_ => Ready()).ToList();
        try
        {
            foreach (var frontEnd in frontEnds)
            {
                frontEnd.Post(0, [7], 8);
            }
            foreach (var frontEnd in frontEnds)
            {
                Assert.True(CallSignalled(frontEnd.CallFd(0)), "a served kick's call eventfd was never signalled");
                Assert.Equal(2u, frontEnd.WaitUsed(0).Length);
            }
        }
        finally
        {
            frontEnds.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public unsafe void EveryKickIsServedAndTheKickEventfdIsNeverRead()
    {
        using var frontEnd = Ready();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(2u, frontEnd.Submit(0, [(byte)i], 8, descriptor: (ushort)(2 * i)).Length);
        }
        // Edge-triggered, as the kernel's vhost: the back end leaves the counter alone, so a kick costs it no read(2).
        ulong counter = 0;
        Assert.Equal(8, (int)LibC.Read(frontEnd.KickFd(0), &counter, 8));
        Assert.Equal(3ul, counter);
    }

    private static unsafe bool CallSignalled(int callFd)
    {
        var poll = new LibC.PollFd { Fd = callFd, Events = LibC.POLLIN };
        return LibC.Poll(&poll, 1, VhostUserTestFrontEnd.WaitMs) == 1;
    }
}
