using System.Net.Sockets;

namespace Sync.Daemon.Sockets;

/// <summary>Unix socket addresses, with systemd's '@' prefix for the abstract namespace.</summary>
public static class UnixSocketAddress
{
    /// <summary>"/run/x.sock" is a file; "@name" is the abstract name "\0name" (as in $NOTIFY_SOCKET).</summary>
    public static UnixDomainSocketEndPoint Parse(string address)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        return address[0] == '@' ? new UnixDomainSocketEndPoint("\0" + address[1..]) : new UnixDomainSocketEndPoint(address);
    }
}
