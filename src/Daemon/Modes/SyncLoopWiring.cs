using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Pipeline;

namespace Sync.Daemon.Modes;

/// <summary>Registers the real sync loop (Linux PHCs, clock_adjtime) as the host's status provider and hosted service.</summary>
public static class SyncLoopWiring
{
    public static bool TryAdd(IServiceCollection services, VirtsyncOptions options)
    {
        services.AddSingleton<SyncStatusPublisher>();
        services.AddSingleton<ISyncStatusProvider>(sp => sp.GetRequiredService<SyncStatusPublisher>());
        services.AddHostedService(sp => new SyncService(
            options,
            sp.GetRequiredService<SyncStatusPublisher>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<DaemonExit>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<Chrony.ChronySockRefclock>()));
        return true;
    }
}
