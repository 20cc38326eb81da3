using System.Diagnostics;
using Sync.Clock.VhostUser;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>What a host with many VMs needs from the server: timeouts for silent front ends, a socket a non-root QEMU can reach.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VhostUserServiceLimitsTests : IDisposable
{
    private readonly string _directory = Path.Combine("/tmp", $"vhost-lim-{Guid.NewGuid():N}"[..24]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string SocketPath => Path.Combine(_directory, "vm.sock");

    [Fact]
    public void AnIdleConnectionIsDroppedAfterTheIdleTimeoutAndAnActiveOneIsNot()
    {
        using var server = new VhostUserServer(new VhostUserServerOptions
        {
            SocketPath = SocketPath,
            IdleTimeout = TimeSpan.FromMilliseconds(400),
        }, () => new EchoDevice());
        server.Start();
        using var idle = new VhostUserTestFrontEnd(SocketPath);
        idle.StartLikeQemu(ulong.MaxValue);
        using var active = new VhostUserTestFrontEnd(SocketPath);
        var (features, _) = active.StartLikeQemu(ulong.MaxValue);
        active.DriverStartLikeQemu(features, 1);
        var watch = Stopwatch.StartNew();
        while (watch.ElapsedMilliseconds < 1200)
        {
            Assert.Equal((byte)7, active.Submit(0, [7], 8).Response[1]); // a READ every 50 ms keeps it alive
            Thread.Sleep(50);
        }
        Assert.True(idle.IsClosedByBackEnd());
        Assert.Equal(1, server.ActiveConnectionCount);
    }

    [Fact]
    public void TheHandshakeTimeoutDropsAFrontEndThatNeverSendsSetOwnerAndSparesOneThatDid()
    {
        using var server = new VhostUserServer(new VhostUserServerOptions
        {
            SocketPath = SocketPath,
            // Long enough that a front end which answers at once is never late on a loaded test machine (a 300 ms
            // limit failed there once: the owner's first send came after its own deadline).
            HandshakeTimeout = TimeSpan.FromMilliseconds(1500),
        }, () => new EchoDevice());
        server.Start();
        using var silent = new VhostUserTestFrontEnd(SocketPath);
        using var owner = new VhostUserTestFrontEnd(SocketPath);
        owner.StartLikeQemu(ulong.MaxValue);
        Assert.True(silent.IsClosedByBackEnd());
        Thread.Sleep(1500);
        Assert.Equal(2ul, owner.GetU64(Sync.Clock.VhostUser.VhostUserRequest.GetQueueNum));
        Assert.Equal(1, server.ActiveConnectionCount);
    }

    /// <summary>
    /// A QEMU run by libvirt as libvirt-qemu:kvm: a client with another uid, in the socket's group, connects to a 0660
    /// socket given that group; the same client without the group gets EACCES. Needs root (to switch users) and setpriv.
    /// </summary>
    [Fact]
    public void ANonRootClientInTheSocketGroupConnectsAndOneOutsideItCannot()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv") || !File.Exists("/usr/bin/perl"))
        {
            Assert.Skip("needs root, /usr/bin/setpriv and /usr/bin/perl to run a client as another user");
        }
        const int QemuUid = 64_055, KvmGid = 64_056, OtherGid = 64_057;
        using var server = new VhostUserServer(new VhostUserServerOptions { SocketPath = SocketPath, SocketGroupId = KvmGid }, () => new EchoDevice());
        server.Start();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(SocketPath));

        Assert.Equal(0, ConnectAs(QemuUid, QemuUid, KvmGid)); // like libvirt-qemu:kvm
        Assert.Equal(13, ConnectAs(QemuUid, QemuUid, OtherGid)); // EACCES: not in the group
        var deadline = Environment.TickCount64 + 5000;
        while (server.AcceptedCount < 1 && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(10);
        }
        Assert.Equal(1, server.AcceptedCount);
    }

    /// <summary>Runs a tiny client as uid/gid with one supplementary group; its exit code is 0 on connect, else errno.</summary>
    private int ConnectAs(int uid, int gid, int group)
    {
        var psi = new ProcessStartInfo("/usr/bin/setpriv",
        [
            $"--reuid={uid}", $"--regid={gid}", $"--groups={group}", "--",
            "/usr/bin/perl", "-MSocket", "-e",
            "socket(my $s, PF_UNIX, SOCK_STREAM, 0) or exit 99; connect($s, pack_sockaddr_un($ARGV[0])) or exit($!+0); exit 0",
            SocketPath,
        ]) { RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        Assert.True(process.WaitForExit(10_000));
        return process.ExitCode;
    }
}
