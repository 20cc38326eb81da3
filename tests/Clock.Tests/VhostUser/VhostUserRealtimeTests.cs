using Sync.Clock.Linux;
using Sync.Clock.VhostUser;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>
/// serve:realtimePriority: the thread that serves every connection runs under SCHED_FIFO at the configured priority
/// (only that thread), and without the privilege it says which setting and which fix, and serves anyway.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VhostUserRealtimeTests : IDisposable
{
    private const int SchedOther = 0;
    private const int SchedFifo = 1;
    private readonly string _directory = Path.Combine("/tmp", $"vhost-rt-{Guid.NewGuid():N}"[..22]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Serves one READ-like request with the given priority; the policy of the serving thread, and the logger.</summary>
    private ((int Policy, int Priority) Serving, int ServingTid, ListLogger<VhostUserServer> Log) ServeOnce(int realtimePriority)
    {
        var socket = Path.Combine(_directory, $"vm{realtimePriority}.sock");
        var device = new EchoDevice();
        var log = new ListLogger<VhostUserServer>();
        using var server = new VhostUserServer(new VhostUserServerOptions { SocketPath = socket, RealtimePriority = realtimePriority }, () => device, log);
        server.Start();
        using var frontEnd = new VhostUserTestFrontEnd(socket);
        var (features, _) = frontEnd.StartLikeQemu(ulong.MaxValue);
        frontEnd.DriverStartLikeQemu(features, 1);
        Assert.Equal(2u, frontEnd.Submit(0, [5], 8).Length);
        int tid = Volatile.Read(ref device.LastNativeThreadId);
        return (SchedulingSlice.Current(tid), tid, log);
    }

    /// <summary>Whether this process may put a thread under SCHED_FIFO at <paramref name="priority"/> (root, CAP_SYS_NICE or RLIMIT_RTPRIO).</summary>
    private static bool MayUseFifo(int priority)
    {
        bool allowed = false;
        var probe = new Thread(() => allowed = SchedulingSlice.TryRequestRealtimeForCurrentThread(priority, out _));
        probe.Start();
        probe.Join();
        return allowed;
    }

    [Fact]
    public void TheLoopThreadRunsUnderFifoAtTheConfiguredPriorityOrSaysWhyNot()
    {
        var (serving, tid, log) = ServeOnce(realtimePriority: 3);
        Assert.NotEqual(Sync.Clock.Linux.Interop.LibC.GetTid(), tid);
        if (MayUseFifo(3))
        {
            Assert.Equal((SchedFifo, 3), serving);
            Assert.Empty(log.Warnings);
        }
        else
        {
            Assert.Equal(SchedOther, serving.Policy);
            var warning = Assert.Single(log.Warnings);
            Assert.Contains("serve:realtimePriority = 3", warning);
            Assert.Contains("LimitRTPRIO=3", warning);
        }
        // Only the loop thread: the test's own thread (and so the process's other threads) keep the normal scheduler.
        Assert.Equal(SchedOther, SchedulingSlice.Current(Sync.Clock.Linux.Interop.LibC.GetTid()).Policy);
    }

    [Fact]
    public void WithoutAPriorityTheLoopThreadKeepsTheNormalScheduler()
    {
        var (serving, _, log) = ServeOnce(realtimePriority: 0);
        Assert.Equal((SchedOther, 0), serving);
        Assert.Empty(log.Warnings);
    }
}
