using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sync.Daemon.Cli;
using Sync.Daemon.Hosting;
using Sync.Daemon.Serving;
using Sync.Daemon.Telemetry;

namespace Sync.Daemon.Modes;

/// <summary>`virtsyncd serve [--socket PATH] [--clocks utc,tai,...]`: the host-side virtio-rtc device for QEMU's vhost-user-rtc-pci.</summary>
public static class ServeMode
{
    public static int Run(CommandArguments args, TextWriter stdout, TextWriter stderr)
    {
        if (!ModeConfiguration.TryLoad(args, stderr, out var options, out var exitCode)) return exitCode;
        var builder = DaemonHost.CreateBuilder(options, DaemonRole.Serve);
        builder.Services.AddHostedService(sp => new ServeService(options, sp.GetRequiredService<ServeMetrics>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<DaemonExit>(), sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<Systemd.SystemdEnvironment>().NotifySocket));
        return DaemonHost.Run(builder.Build(), stderr);
    }
}
