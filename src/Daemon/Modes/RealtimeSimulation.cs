using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sync.Clock.Simulation;
using Sync.Daemon.Cli;
using Sync.Daemon.Hosting;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;

namespace Sync.Daemon.Modes;

/// <summary>
/// `virtsyncd simulate --realtime`: the scenario at wall-clock pace inside the daemon's host, so metrics, the
/// status socket and systemd notifications can be tried on any machine.
/// </summary>
public static class RealtimeSimulation
{
    public static int Run(Scenario scenario, SyncEngineOptions options, LeapPolicy policy, string[] daemonOptions, TextWriter stdout, TextWriter stderr)
    {
        if (!CommandArguments.TryParse("simulate", daemonOptions, allowOther: false, out var parsed, out var error))
        {
            stderr.WriteLine($"virtsyncd: {error}");
            return ExitCodes.Usage;
        }
        if (!ModeConfiguration.TryLoad(parsed, stderr, out var daemon, out var exitCode)) return exitCode;
        var builder = DaemonHost.CreateBuilder(daemon, DaemonRole.Simulate);
        builder.Services.AddSingleton<SyncStatusPublisher>();
        builder.Services.AddSingleton<ISyncStatusProvider>(sp => sp.GetRequiredService<SyncStatusPublisher>());
        builder.Services.AddHostedService(sp => new Runner(scenario, options, policy, sp.GetRequiredService<SyncStatusPublisher>(),
            sp.GetRequiredService<IHostApplicationLifetime>()));
        stdout.WriteLine($"running {scenario.Name} at wall-clock pace for {scenario.DurationS:0} s; metrics on {daemon.Metrics.Listen}, status: virtsyncd status --status:socketPath={daemon.Status.SocketPath}");
        return DaemonHost.Run(builder.Build(), stderr);
    }

    private sealed class Runner(Scenario scenario, SyncEngineOptions options, LeapPolicy policy, SyncStatusPublisher publisher,
        IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
        {
            SimulationRunner.Run(scenario, SimulationRunner.Virtsync(options), policy, realtime: stoppingToken, onSnapshot: publisher.Publish);
            lifetime.StopApplication();
        }, stoppingToken);
    }
}
