using System.Buffers.Binary;
using System.Net.Sockets;
using Sync.Clock.VhostUser;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>
/// Role Connect (<see cref="FrontEndConnector"/>): the back end connects to a listening front end, serves it, connects
/// again when that connection ends, and stops when told.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VhostUserConnectRoleTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("vhost-connect-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task TheBackEndConnectsServesAndConnectsAgainAfterTheFrontEndCloses()
    {
        var path = Path.Combine(_directory.FullName, "front.sock");
        using var frontEnd = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        frontEnd.Bind(new UnixDomainSocketEndPoint(path));
        frontEnd.Listen(4);
        var server = new VhostUserServer(new VhostUserServerOptions
        {
            SocketPath = path,
            Role = VhostUserSocketRole.Connect,
            ReconnectInterval = TimeSpan.FromMilliseconds(20),
        }, () => new EchoDevice());
        var ended = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ConnectionEnded += c => ended.TrySetResult(c.EndReason);
        server.Start();
        try
        {
            using (var first = await AcceptWithin(frontEnd, 5))
            {
                // GET_FEATURES: a reply with the reply flag and 8 bytes of features.
                var request = new byte[VhostUserHeader.Bytes];
                new VhostUserHeader((uint)VhostUserRequest.GetFeatures, VhostUserHeader.Version1, 0).Write(request);
                first.Send(request);
                var reply = new byte[VhostUserHeader.Bytes + 8];
                first.ReceiveTimeout = 5000;
                int received = 0;
                while (received < reply.Length)
                    received += first.Receive(reply, received, reply.Length - received, SocketFlags.None);
                var header = VhostUserHeader.Read(reply);
                Assert.Equal((uint)VhostUserRequest.GetFeatures, header.Request);
                Assert.NotEqual(0u, header.Flags & VhostUserHeader.ReplyFlag);
                Assert.NotEqual(0ul, BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(VhostUserHeader.Bytes)) & VhostUserHeader.ProtocolFeaturesBit);
            }
            Assert.Contains("closed", await ended.Task.WaitAsync(TimeSpan.FromSeconds(5)));

            using var second = await AcceptWithin(frontEnd, 5);
            // Counted by the connect thread once connect() returned, which may be just after the accept here.
            for (int i = 0; i < 500 && server.AcceptedCount < 2; i++)
                await Task.Delay(10);
            Assert.Equal(2, server.AcceptedCount);
        }
        finally
        {
            await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        Assert.Equal(0, server.ActiveConnectionCount);
        Assert.True(File.Exists(path)); // the front end's socket file is not the back end's to remove
    }

    [Fact]
    public async Task WithoutAFrontEndItKeepsTryingAndStopsAtOnce()
    {
        var path = Path.Combine(_directory.FullName, "nobody.sock");
        var server = new VhostUserServer(new VhostUserServerOptions
        {
            SocketPath = path,
            Role = VhostUserSocketRole.Connect,
            ReconnectInterval = TimeSpan.FromSeconds(30),
        }, () => new EchoDevice());
        server.Start();
        await Task.Delay(50);
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        // The connector sleeps 30 s between attempts; the stop wakes it (its eventfd) instead of waiting that out.
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(3), $"the stop took {stopping.Elapsed}");
        Assert.Equal(0, server.AcceptedCount);
    }

    private static async Task<Socket> AcceptWithin(Socket listener, int seconds) =>
        await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(seconds));
}
