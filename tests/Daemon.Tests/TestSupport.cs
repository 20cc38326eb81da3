using System.Net.Sockets;
using Sync.Daemon.Hosting;
using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Selection;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

internal sealed class FakeStatusProvider : ISyncStatusProvider
{
    public SyncSnapshot? Current { get; private set; }
    public event Action<SyncSnapshot>? Updated;

    public void Publish(SyncSnapshot snapshot)
    {
        Current = snapshot;
        Updated?.Invoke(snapshot);
    }
}

internal static class Snapshots
{
    public static readonly Instant<Utc> At = Instant<Utc>.FromSeconds(1_795_000_000, 123_000_000);

    public static SourceSnapshot Tai(long samples = 42, byte reach = 0xFF, string? failure = null) => new(
        "/dev/ptp_virtio_tai", "Virtio PTP type 1/variant 0", ClockScale.Tai, Selected: true, reach, ReadingMethod.Extended,
        LastDelay: Duration.FromNanoseconds(3_200), LastOffset: Duration.FromNanoseconds(-150), LastError: Duration.FromNanoseconds(1_600),
        samples, failure)
    {
        Window = Duration.FromNanoseconds(3_000),
        CorrectedOffset = Duration.FromNanoseconds(-140),
        Correction = Duration.FromNanoseconds(-10),
        Allowance = Duration.FromNanoseconds(900),
        Calibration = CalibrationOrigin.Measured,
        Verdict = SourceVerdict.Selected,
        StalledSamples = 3,
    };

    public static SourceSnapshot Smeared() => new(
        "/dev/ptp3", "Virtio PTP type 3/variant 1", ClockScale.UtcSmearedNoonLinear, Selected: false, 0x05, ReadingMethod.Precise,
        LastDelay: Duration.FromMicroseconds(12), LastOffset: Duration.FromMicroseconds(2.5), LastError: null, 7, "EBUSY on last read");

    public static SyncSnapshot Tracking(Duration? offset = null, long steps = 1, SyncState state = SyncState.Tracking, params SourceSnapshot[] sources) => new(
        At, state, "/dev/ptp_virtio_tai",
        offset ?? Duration.FromNanoseconds(120),
        RmsOffset: Duration.FromNanoseconds(450),
        FrequencyPpm: -12.5,
        ResidualFrequencyPpm: 0.004,
        SkewPpm: 0.021,
        ErrorBound: Duration.FromMicroseconds(2.4),
        LeapStatus: ClockStatus.KernelDiscipline,
        TaiOffsetSeconds: 37,
        Steps: steps,
        UpdateInterval: Duration.FromMilliseconds(250),
        Sources: sources.Length > 0 ? sources : [Tai(), Smeared()])
    {
        StepsByReason = [(StepReason.Startup, Math.Min(steps, 1)), (StepReason.Discontinuity, 0), (StepReason.Jump, Math.Max(0, steps - 1))],
        Jumps = Math.Max(0, steps - 1),
    };

    public static SyncSnapshot Acquiring() => new(
        At, SyncState.Acquiring, null, null, Duration.Zero, 0, 0, 0, Duration.FromSeconds(16), ClockStatus.Unsynchronized, 0, 0,
        Duration.FromMilliseconds(250), []);
}

/// <summary>A short temp directory (Unix socket paths must stay under 108 bytes), removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine("/tmp", "vsd-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A bound Unix datagram socket that collects what others send (NOTIFY_SOCKET, chrony's SOCK).</summary>
internal sealed class DatagramSink : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public DatagramSink(string address)
    {
        Address = address;
        _socket.Bind(global::Sync.Daemon.Sockets.UnixSocketAddress.Parse(address));
        _socket.ReceiveTimeout = 5000;
    }

    public string Address { get; }

    public byte[] Receive()
    {
        var buffer = new byte[4096];
        int n = _socket.Receive(buffer);
        return buffer[..n];
    }

    public string ReceiveText() => System.Text.Encoding.UTF8.GetString(Receive());

    /// <summary>Everything already queued, without waiting.</summary>
    public List<string> Drain()
    {
        var list = new List<string>();
        var buffer = new byte[4096];
        while (_socket.Available > 0)
        {
            int n = _socket.Receive(buffer);
            list.Add(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        }
        return list;
    }

    public void Dispose() => _socket.Dispose();
}

internal static class FreePort
{
    public static int Get()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>A host lifetime that records StopApplication.</summary>
internal sealed class RecordingLifetime : Microsoft.Extensions.Hosting.IHostApplicationLifetime
{
    public CancellationToken ApplicationStarted => CancellationToken.None;
    public CancellationToken ApplicationStopping => CancellationToken.None;
    public CancellationToken ApplicationStopped => CancellationToken.None;
    public bool Stopped { get; private set; }
    public void StopApplication() => Stopped = true;
}

/// <summary>Every category logs to the one logger.</summary>
internal sealed class OneLoggerFactory(Microsoft.Extensions.Logging.ILogger logger) : Microsoft.Extensions.Logging.ILoggerFactory
{
    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => logger;
    public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider) { }
    public void Dispose() { }
}
