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
/// alone; QEMU may reconnect at any time.
/// </summary>
public sealed partial class ServeService(VirtsyncOptions options, ServeMetrics metrics, TimeProvider time, DaemonExit exit, ILoggerFactory loggers)
    : IHostedService, IAsyncDisposable
{
    private readonly ILogger _log = loggers.CreateLogger<ServeService>();
    private VhostUserServer? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = Instant<Utc>.FromSeconds(time.GetUtcNow().ToUnixTimeSeconds());
            var table = SystemLeapTable.Load(now, _log);
            var sources = ServedClockSources.Create(options.Serve, table, new HostClockFactory(table, loggers), time);
            var clocks = sources.Select(s => new DeviceClock(s, AlarmCapable: options.Serve.AlarmsEnabled)).ToList();
            var deviceOptions = new VirtioRtcDeviceOptions { Clocks = clocks };

            _server = new VhostUserServer(
                new VhostUserServerOptions { SocketPath = options.Serve.SocketPath, Role = options.Serve.SocketRole },
                () => new MeteredVirtioDevice(new VirtioRtcDevice(deviceOptions, time, loggers.CreateLogger<VirtioRtcDevice>()), metrics),
                loggers.CreateLogger<VhostUserServer>());
            _server.ConnectionAccepted += connection =>
            {
                metrics.ConnectionOpened();
                _ = connection.Completion.ContinueWith(_ => metrics.ConnectionClosed(), TaskScheduler.Default);
            };
            _server.Start();
            LogServing(options.Serve.SocketPath, string.Join(", ", sources.Select(s => s.Scale.ToString())));
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
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "serving virtio-rtc over vhost-user on {Socket}: clocks {Clocks}")]
    private partial void LogServing(string socket, string clocks);
}
