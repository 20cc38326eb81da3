using System.Net.Sockets;
using Sync.Filters.Time;

namespace Sync.Daemon.Chrony;

/// <summary>
/// Feeds samples to chronyd's `refclock SOCK PATH` (chronyd creates and listens on PATH; we only send). A missing
/// or restarting chronyd is not an error: the sample is dropped and counted. Never throws on I/O.
/// </summary>
public sealed class ChronySockRefclock : IDisposable
{
    private readonly Lock _gate = new();
    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly bool _dryRun;
    private Socket? _socket;

    public ChronySockRefclock(string socketPath, bool dryRun = false)
    {
        SocketPath = socketPath;
        _endpoint = new UnixDomainSocketEndPoint(socketPath);
        _dryRun = dryRun;
    }

    public string SocketPath { get; }
    public long Sent { get; private set; }
    public long Dropped { get; private set; }
    public string? LastError { get; private set; }

    public bool Send(Instant<Utc> systemTime, Duration localMinusReference, ChronyLeap leap = ChronyLeap.Normal) =>
        Send(ChronySockSample.FromMeasurement(systemTime, localMinusReference, leap));

    public bool Send(ChronySockSample sample)
    {
        if (_dryRun) return false;
        Span<byte> datagram = stackalloc byte[ChronySockSample.Size];
        sample.WriteTo(datagram);
        lock (_gate)
        {
            try
            {
                _socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                _socket.SendTo(datagram, SocketFlags.None, _endpoint);
                Sent++;
                LastError = null;
                return true;
            }
            catch (SocketException e)
            {
                Dropped++;
                LastError = $"sending to chronyd at {SocketPath} failed: {e.SocketErrorCode} (is `refclock SOCK {SocketPath}` in chrony.conf and chronyd running?)";
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
}
