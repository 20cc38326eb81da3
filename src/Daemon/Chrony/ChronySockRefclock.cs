using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sync.Filters.Time;

namespace Sync.Daemon.Chrony;

/// <summary>
/// Feeds samples to chronyd's `refclock SOCK PATH` (chronyd creates and listens on PATH; we only send). A missing
/// or restarting chronyd is not an error: the sample is dropped and counted. Never throws on I/O. The state
/// (feeding or not, and why not) is logged once per change, a Warning when samples stop reaching chronyd, and
/// shown by `status` and the metrics.
/// </summary>
public sealed partial class ChronySockRefclock : IDisposable
{
    private readonly Lock _gate = new();
    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly bool _dryRun;
    private readonly ILogger _logger;
    private Socket? _socket;
    private SocketError? _lastFailure;

    public ChronySockRefclock(string socketPath, bool dryRun = false, ILogger? logger = null)
    {
        SocketPath = socketPath;
        _endpoint = new UnixDomainSocketEndPoint(socketPath);
        _dryRun = dryRun;
        _logger = logger ?? NullLogger.Instance;
    }

    public string SocketPath { get; }
    public bool DryRun => _dryRun;
    public long Sent { get; private set; }
    public long Dropped { get; private set; }
    public string? LastError { get; private set; }

    /// <summary>The last sample reached chronyd's socket.</summary>
    public bool Feeding { get; private set; }

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
                if (!Feeding)
                {
                    Feeding = true;
                    _lastFailure = null;
                    LogFeeding(SocketPath, Dropped);
                }
                return true;
            }
            catch (SocketException e)
            {
                Dropped++;
                LastError = $"sending to chronyd at {SocketPath} failed: {e.SocketErrorCode} (is `refclock SOCK {SocketPath}` in chrony.conf and chronyd running?)";
                if (Feeding || _lastFailure != e.SocketErrorCode)
                    LogNotFeeding(LastError);
                Feeding = false;
                _lastFailure = e.SocketErrorCode;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "chrony agent: feeding chronyd at {Path} ({Dropped} samples dropped before)")]
    private partial void LogFeeding(string path, long dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "chrony agent: not feeding chronyd, samples are dropped: {Error}")]
    private partial void LogNotFeeding(string error);
}
