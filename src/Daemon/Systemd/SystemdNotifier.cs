using System.Net.Sockets;
using System.Text;
using Sync.Daemon.Sockets;

namespace Sync.Daemon.Systemd;

/// <summary>
/// sd_notify without libsystemd: one Unix datagram per message to $NOTIFY_SOCKET (file path or '@abstract').
/// Does nothing when there is no socket. Never throws: a failed send is counted and reported false.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Lock _gate = new();
    private readonly UnixDomainSocketEndPoint? _endpoint;
    private Socket? _socket;
    private bool _stoppingSent;

    public SystemdNotifier(string? notifySocket)
    {
        if (!string.IsNullOrEmpty(notifySocket) && (notifySocket[0] == '/' || notifySocket[0] == '@'))
            _endpoint = UnixSocketAddress.Parse(notifySocket);
    }

    public bool IsEnabled => _endpoint is not null;
    public bool IsReady { get; private set; }
    public long SendFailures { get; private set; }

    /// <summary>READY=1 (once; later calls only update STATUS=).</summary>
    public bool Ready(string? status = null)
    {
        lock (_gate)
        {
            if (IsReady) return status is null || Status(status);
            IsReady = true;
        }
        return Send(status is null ? "READY=1" : $"READY=1\nSTATUS={OneLine(status)}");
    }

    public bool Status(string status) => Send($"STATUS={OneLine(status)}");
    public bool Watchdog() => Send("WATCHDOG=1");
    /// <summary>STOPPING=1 (once).</summary>
    public bool Stopping()
    {
        lock (_gate)
        {
            if (_stoppingSent) return false;
            _stoppingSent = true;
        }
        return Send("STOPPING=1");
    }

    /// <summary>Sends raw newline-separated assignments (e.g. "ERRNO=5").</summary>
    public bool Send(string message)
    {
        if (_endpoint is null) return false;
        lock (_gate)
        {
            try
            {
                _socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                _socket.SendTo(Encoding.UTF8.GetBytes(message), SocketFlags.None, _endpoint);
                return true;
            }
            catch (SocketException)
            {
                SendFailures++;
                return false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _socket?.Dispose();
            _socket = null;
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
