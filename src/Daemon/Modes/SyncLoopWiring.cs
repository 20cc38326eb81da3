using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sync.Clock.Linux;
using Sync.Clock.Linux.VmClock;
using Sync.Daemon.ClockBound;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Pipeline;
using Sync.Filters.Time;

namespace Sync.Daemon.Modes;

/// <summary>
/// Registers the real sync loop (Linux PHCs, clock_adjtime) as the host's status provider and hosted service, and
/// the ClockBound publisher when enabled and virtsyncd steers the clock itself.
/// </summary>
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
            sp.GetService<Chrony.ChronySockRefclock>(),
            SyncEdges.Linux(options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>())));
        if (PublishesClockBound(options))
        {
            services.AddSingleton(sp => CreateClockBoundPublisher(options, sp));
            services.AddHostedService(sp => sp.GetRequiredService<ClockBoundPublisher>());
        }
        return true;
    }

    /// <summary>The bound describes the clock virtsyncd steers: not in chrony agent mode, a dry run or observe-only.</summary>
    public static bool PublishesClockBound(VirtsyncOptions options) => options.ClockBound.Enabled && options.MaySteerClock;

    private static ClockBoundPublisher CreateClockBoundPublisher(VirtsyncOptions options, IServiceProvider sp)
    {
        var policy = new ClockBoundPolicy(options.ClockBound, Duration.FromSeconds(options.Sources.ReadIntervalSeconds),
            Duration.FromMilliseconds(options.Sources.ReadTimeoutMs));
        // vmclock's disruption marker where the VM has one (/dev/vmclock0); none: disruption support 0.
        var vmclock = VmClockReader.Open();
        Func<ulong?> marker = vmclock.IsOk
            ? () => vmclock.Value.Read() is { IsOk: true } page ? page.Value.DisruptionMarker : null
            : () => null;
        return new ClockBoundPublisher(options.ClockBound, policy, sp.GetRequiredService<ISyncStatusProvider>(),
            MonotonicCoarseClock.Instance, marker, sp.GetRequiredService<ILogger<ClockBoundPublisher>>());
    }
}
