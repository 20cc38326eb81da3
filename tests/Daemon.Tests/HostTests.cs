using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Systemd;

namespace Sync.Daemon.Tests;

[Collection(nameof(MetricsTests))]
public sealed class HostTests
{
    private sealed class Action(Action<IServiceProvider> act, IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) { act(services); return Task.CompletedTask; }
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static int RunHost(Action<IServiceProvider> onStart, out string stderr)
    {
        var options = new VirtsyncOptions
        {
            Metrics = new MetricsOptions { Enabled = false },
            Status = new StatusOptions { Enabled = false },
            Logging = new LoggingOptions { Level = Microsoft.Extensions.Logging.LogLevel.None },
        };
        var builder = DaemonHost.CreateBuilder(options, DaemonRole.Sync, new DaemonHostEnvironment { Systemd = SystemdEnvironment.None });
        builder.Services.AddSingleton<ISyncStatusProvider>(new FakeStatusProvider());
        builder.Services.AddHostedService(sp => new Action(onStart, sp));
        var error = new StringWriter();
        int code = DaemonHost.Run(builder.Build(), error);
        stderr = error.ToString();
        return code;
    }

    [Fact]
    public void OrderlyStopExitsZero()
    {
        int code = RunHost(sp => sp.GetRequiredService<IHostApplicationLifetime>().StopApplication(), out var stderr);
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void DaemonExitFailGivesItsCodeAndReason()
    {
        int code = RunHost(sp => sp.GetRequiredService<DaemonExit>().Fail(1, "no usable clock: /dev/ptp_virtio_tai is gone"), out var stderr);
        Assert.Equal(1, code);
        Assert.Contains("no usable clock", stderr);
    }
}
