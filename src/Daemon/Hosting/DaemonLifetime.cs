using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Sync.Daemon.Systemd;

namespace Sync.Daemon.Hosting;

/// <summary>
/// Replaces the lifetime AddSystemd() installs, whose READY=1 at host start would come before the first sample.
/// Stops on SIGTERM, SIGINT and SIGQUIT. With <paramref name="readyWhenStarted"/> (serve) READY=1 goes out once every
/// service has started (the vhost-user socket listens); for sync <see cref="ReadinessReporter"/> sends it.
/// </summary>
public sealed class DaemonLifetime(IHostApplicationLifetime lifetime, SystemdNotifier notifier, bool readyWhenStarted) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _signals = [];

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            _signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                lifetime.StopApplication();
            }));
        }
        if (readyWhenStarted) lifetime.ApplicationStarted.Register(() => notifier.Ready("serving"));
        lifetime.ApplicationStopping.Register(() => notifier.Stopping());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in _signals) registration.Dispose();
        _signals.Clear();
    }
}
