using System.Net.Sockets;
using System.Text.Json;

namespace Sync.Daemon.Status;

/// <summary>Reads one reply from the status socket. Never throws for a missing or dead daemon.</summary>
public static class StatusClient
{
    public const int MaxReplyBytes = 4 * 1024 * 1024;

    public enum Outcome { Ok, NotRunning, BadReply }

    public readonly record struct Result(Outcome Outcome, StatusReply? Reply, byte[] RawJson, string? Problem);

    public static Result Query(string socketPath, TimeSpan timeout)
    {
        if (!File.Exists(socketPath)) return new Result(Outcome.NotRunning, null, [], $"no status socket at {socketPath}");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        socket.SendTimeout = (int)timeout.TotalMilliseconds;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable
            or SocketError.AccessDenied or SocketError.ConnectionReset)
        {
            var why = e.SocketErrorCode == SocketError.AccessDenied ? "permission denied" : "nothing listens";
            return new Result(Outcome.NotRunning, null, [], $"no status socket at {socketPath} ({why})");
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = socket.Receive(chunk);
                if (n == 0) break;
                buffer.Write(chunk, 0, n);
                if (buffer.Length > MaxReplyBytes) return new Result(Outcome.BadReply, null, [], "reply too large");
            }
        }
        catch (SocketException e)
        {
            return new Result(Outcome.BadReply, null, buffer.ToArray(), $"reading the status socket failed: {e.SocketErrorCode}");
        }

        var raw = buffer.ToArray();
        try
        {
            var reply = JsonSerializer.Deserialize(raw, StatusJsonContext.Default.StatusReply);
            return reply is null
                ? new Result(Outcome.BadReply, null, raw, "empty reply")
                : new Result(Outcome.Ok, reply, raw, null);
        }
        catch (JsonException e)
        {
            return new Result(Outcome.BadReply, null, raw, $"reply is not status JSON: {e.Message}");
        }
    }
}
