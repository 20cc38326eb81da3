using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Sync.Daemon.Chrony;
using Sync.Daemon.Cli;
using Sync.Daemon.Configuration;
using Sync.Daemon.Status;
using Sync.Daemon.Systemd;
using Sync.Daemon.Telemetry;
using SystemdNotifier = Sync.Daemon.Systemd.SystemdNotifier;

namespace Sync.Daemon.Hosting;

/// <summary>
/// Builds the generic host for a long-running mode with everything around the loop: logging, systemd (notify,
/// watchdog), Prometheus metrics, the status socket, the chrony refclock client. Usage:
/// <code>
/// var builder = DaemonHost.CreateBuilder(options, DaemonRole.Sync);
/// builder.Services.AddSingleton&lt;ISyncStatusProvider&gt;(loop); builder.Services.AddHostedService(_ => loop);
/// return DaemonHost.Run(builder.Build());
/// </code>
/// The content root is AppContext.BaseDirectory and no configuration file is watched (see docs/operations.md).
/// </summary>
public static class DaemonHost
{
    public static HostApplicationBuilder CreateBuilder(VirtsyncOptions options, DaemonRole role, DaemonHostEnvironment? environment = null)
    {
        environment ??= new DaemonHostEnvironment();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "virtsyncd",
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        var services = builder.Services;

        ConfigureLogging(builder.Logging, services, options.Logging);

        services.AddSystemd();
        services.RemoveAll<IHostLifetime>();
        services.AddSingleton(options);
        services.AddSingleton(options.Sources);
        services.AddSingleton(options.Discipline);
        services.AddSingleton(options.Serve);
        services.AddSingleton(options.Systemd);
        services.AddSingleton(environment.Systemd);
        services.AddSingleton(environment.Time);
        services.AddSingleton<DaemonExit>();
        services.AddSingleton(_ => new SystemdNotifier(environment.Systemd.NotifySocket));
        services.AddSingleton<IHostLifetime>(sp => new DaemonLifetime(
            sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<SystemdNotifier>(), readyWhenStarted: role == DaemonRole.Serve));
        services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });

        bool hasLoop = role is DaemonRole.Sync or DaemonRole.Simulate;
        bool serves = role is DaemonRole.Serve or DaemonRole.Simulate;

        if (hasLoop)
        {
            services.AddSingleton<SyncMetrics>();
            services.AddHostedService(sp => sp.GetRequiredService<SyncMetrics>());
            services.AddHostedService(sp => new ReadinessReporter(sp.GetRequiredService<ISyncStatusProvider>(),
                sp.GetRequiredService<SystemdNotifier>(), environment.Time, options.Systemd));
            if (options.Status.Enabled)
                services.AddHostedService(sp => new StatusSocketServer(options.Status.SocketPath, sp.GetRequiredService<ISyncStatusProvider>(),
                    sp.GetService<ILogger<StatusSocketServer>>(), sp.GetService<ChronySockRefclock>(),
                    Configuration.ConfigKeys.Chrony.ReadingSummary(options)));
            if (options.Chrony.Enabled)
                services.AddSingleton(sp => new ChronySockRefclock(options.Chrony.SocketPath, options.DryRun,
                    sp.GetService<ILogger<ChronySockRefclock>>()));
        }
        if (serves) services.AddSingleton<ServeMetrics>();

        services.AddHostedService(sp => new WatchdogService(sp.GetRequiredService<SystemdNotifier>(), environment.Systemd, environment.Time,
            hasLoop ? sp.GetRequiredService<ISyncStatusProvider>() : null, TimeSpan.FromSeconds(options.Systemd.ReadyTimeoutSeconds)));

        if (options.Metrics.Enabled)
        {
            services.AddSingleton(_ => new ProcessMetrics(role));
            services.AddHostedService(sp => sp.GetRequiredService<ProcessMetrics>());
            // Bound now, before anything starts: a port in use or a foreign address ends the start with one line (exit 78).
            var endpoint = MetricsEndpoint.Bind(options.Metrics, out string problem);
            if (endpoint is null)
            {
                // Run ends before the host starts, so nothing else (status socket, serve's socket) starts in vain.
                services.AddSingleton(new StartProblem(ExitCodes.ConfigError, problem));
            }
            else
            {
                services.AddSingleton(endpoint);
                services.AddHostedService(sp => sp.GetRequiredService<MetricsEndpoint>());
                AddPrometheus(services, endpoint);
            }
        }
        return builder;
    }

    /// <summary>Runs the host to the end; 0, the code given to <see cref="DaemonExit.Fail"/>, or 1 if it threw.</summary>
    public static int Run(IHost host, TextWriter? error = null)
    {
        error ??= Console.Error;
        // Resolved before Run: Run disposes the host (and its service provider) when it ends.
        var exit = host.Services.GetService<DaemonExit>();
        if (host.Services.GetService<StartProblem>() is { } problem)
        {
            error.WriteLine($"virtsyncd: {problem.Reason}");
            (host as IDisposable)?.Dispose();
            return problem.ExitCode;
        }
        try
        {
            host.Run();
            if (exit is { Code: not 0 })
            {
                error.WriteLine($"virtsyncd: {exit.Reason}");
                return exit.Code;
            }
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error.WriteLine($"virtsyncd: {e.GetType().Name}: {e.Message}");
            return ExitCodes.RuntimeFailure;
        }
        finally
        {
            (host as IDisposable)?.Dispose();
        }
    }

    /// <summary>Found while building (e.g. metrics:listen's port in use): <see cref="Run"/> prints the one line and exits with the code, starting nothing.</summary>
    private sealed record StartProblem(int ExitCode, string Reason);

    private static void AddPrometheus(IServiceCollection services, MetricsEndpoint endpoint)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("virtsyncd", serviceVersion: DaemonVersion.Text, autoGenerateServiceInstanceId: false))
            .WithMetrics(m => m
            .AddMeter(MetricNames.MeterName)
            .AddPrometheusHttpListener(o =>
            {
                o.Host = endpoint.ExporterHost;
                o.Port = endpoint.ExporterPort;
                o.ScopeInfoEnabled = false;
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
    }

    private static void ConfigureLogging(ILoggingBuilder logging, IServiceCollection services, LoggingOptions options)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(options.Level);
        var format = options.Format == LogFormat.Auto
            ? JournalLoggerProvider.AutoFormat(Environment.GetEnvironmentVariable("JOURNAL_STREAM"),
                File.Exists(JournalLoggerProvider.DefaultSocketPath), SystemdHelpers.IsSystemdService())
            : options.Format;
        switch (format)
        {
            case LogFormat.Journal: logging.AddProvider(new JournalLoggerProvider()); break;
            case LogFormat.Systemd: logging.AddSystemdConsole(); break;
            case LogFormat.Json: logging.AddJsonConsole(); break;
            default: logging.AddSimpleConsole(o => { o.SingleLine = true; o.UseUtcTimestamp = true; o.TimestampFormat = "HH:mm:ss.fff "; }); break;
        }
        // Logs go to stderr: stdout stays for the output of modes such as status and clocks.
        services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
