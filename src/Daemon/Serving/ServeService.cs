using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sync.Clock.HostClocks;
using Sync.Clock.VhostUser;
using Sync.Clock.Virtio.Rtc;
using Sync.Daemon.Cli;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Telemetry;
using Sync.Filters.Time;

namespace Sync.Daemon.Serving;

/// <summary>
/// `virtsyncd serve` as a hosted service: a vhost-user server on a Unix socket, one virtio-rtc device per
/// connection (one per VM), all serving the same configured host clocks. A connection that misbehaves is dropped
/// alone; QEMU may reconnect at any time. Under systemd with a file descriptor store (<paramref name="notifySocket"/>:
/// $NOTIFY_SOCKET as SystemdEnvironment read it,
/// FileDescriptorStoreMax=), each connection keeps its fds in the store and its state in serve:stateDirectory, and a
/// restarted or crashed `serve` takes the connections over from $LISTEN_FDS: the VMs do not notice.
/// </summary>
public sealed partial class ServeService(VirtsyncOptions options, ServeMetrics metrics, TimeProvider time, DaemonExit exit, ILoggerFactory loggers,
    string? notifySocket = null)
    : IHostedService, IAsyncDisposable
{
    private readonly ILogger _log = loggers.CreateLogger<ServeService>();
    private VhostUserServer? _server;
    private SystemdFileDescriptorStore? _fdStore;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = Instant<Utc>.FromSeconds(time.GetUtcNow().ToUnixTimeSeconds());
            var table = LeapSecondFile.Load(options.Sources.LeapSecondsFile, now, _log);
            var sources = ServedClockSources.Create(options.Serve, table, new HostClockFactory(table, loggers), time);
            var clocks = sources.Select(s => new DeviceClock(s, AlarmCapable: options.Serve.AlarmsEnabled)).ToList();
            var deviceOptions = new VirtioRtcDeviceOptions { Clocks = clocks };

            var inherited = InheritedFileDescriptors.FromEnvironment(out string? inheritProblem);
            if (inheritProblem is not null)
                LogInheritProblem(inheritProblem);
            _fdStore = SystemdFileDescriptorStore.Create(notifySocket, loggers.CreateLogger<SystemdFileDescriptorStore>());
            _server = new VhostUserServer(
                new VhostUserServerOptions
                {
                    SocketPath = options.Serve.SocketPath,
                    Role = options.Serve.SocketRole,
                    StateDirectory = options.Serve.StateDirectory,
                    FileDescriptorStore = _fdStore,
                    MaxConnections = options.Serve.MaxConnections,
                    HandshakeTimeout = TimeSpan.FromSeconds(options.Serve.HandshakeTimeoutSeconds),
                    IdleTimeout = TimeSpan.FromSeconds(options.Serve.IdleTimeoutSeconds),
                    RealtimePriority = options.Serve.RealtimePriority,
                    SocketGroupId = options.Serve.SocketGroupId,
                    SocketMode = options.Serve.SocketMode,
                },
                () => new MeteredVirtioDevice(new VirtioRtcDevice(deviceOptions, time, loggers.CreateLogger<VirtioRtcDevice>()), metrics),
                loggers.CreateLogger<VhostUserServer>());
            _server.ConnectionAccepted += _ => metrics.ConnectionOpened();
            _server.ConnectionEnded += _ => metrics.ConnectionClosed();
            _server.ConnectionRefused += metrics.ConnectionRefused;
            _server.Start(inherited);
            LogServing(options.Serve.SocketPath, string.Join(", ", sources.Select(s => s.Scale.ToString())));
            if (inherited.Count > 0 || _fdStore is not null)
                LogTakeOver(inherited.Count, _server.RestoredConnections.Count, _fdStore is not null);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            exit.Fail(ExitCodes.RuntimeFailure, $"serve: {e.Message}");
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
            await _server.StopAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync().ConfigureAwait(false);
        _fdStore?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "serving virtio-rtc over vhost-user on {Socket}: clocks {Clocks}")]
    private partial void LogServing(string socket, string clocks);

    [LoggerMessage(Level = LogLevel.Information, Message = "serve: {Inherited} fds handed over, {Restored} VM connections taken over; fd store {StoreEnabled}")]
    private partial void LogTakeOver(int inherited, int restored, bool storeEnabled);

    [LoggerMessage(Level = LogLevel.Warning, Message = "serve: {Problem}")]
    private partial void LogInheritProblem(string problem);
}
