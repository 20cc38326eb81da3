using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Sync.Daemon.Cli;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Systemd;
using Sync.Daemon.Telemetry;

namespace Sync.Daemon.Tests;

/// <summary>metrics:listen in every form validation accepts serves /metrics, for sync and serve alike; a busy port is one line and exit 78.</summary>
[Collection(nameof(MetricsTests))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MetricsEndpointTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("localhost", "127.0.0.1")]
    [InlineData("0.0.0.0", "127.0.0.1")]
    [InlineData("::", "127.0.0.1")]
    [InlineData("::", "[::1]")]
    [InlineData("::1", "[::1]")]
    public async Task ServeExportsBuildInfoAndProcessMetricsOnEveryAddressForm(string host, string scrapeFrom)
    {
        if (scrapeFrom.StartsWith('[') && !Socket.OSSupportsIPv6) Assert.Skip("no IPv6 on this machine");
        int port = FreePort.Get();
        var options = new VirtsyncOptions
        {
            Metrics = new MetricsOptions { Host = host, Port = port },
            Status = new StatusOptions { Enabled = false },
            Logging = new LoggingOptions { Level = Microsoft.Extensions.Logging.LogLevel.Warning },
        };
        var builder = DaemonHost.CreateBuilder(options, DaemonRole.Serve, new DaemonHostEnvironment { Systemd = SystemdEnvironment.None });
        using var host_ = builder.Build();
        await host_.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var scrape = await ScrapeWithRetry($"http://{scrapeFrom}:{port}/metrics");
            Assert.Matches("(?m)^virtsync_build_info\\{[^}]*mode=\"serve\"[^}]*\\} 1", scrape);
            foreach (var name in new[] { MetricNames.ProcessCpuSecondsTotal, MetricNames.ProcessResidentMemoryBytes, MetricNames.ProcessOpenFds,
                         MetricNames.DotnetGcCollectionsTotal, MetricNames.DotnetGcHeapBytes })
                Assert.Matches("(?m)^" + name + "(\\{[^}]*\\})? [0-9.e+E-]+", scrape);
        }
        finally
        {
            await host_.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void ABusyPortIsOneLineNamingTheKeyAndExit78()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var err = new StringWriter();
        int code = CommandLine.Run(["serve", "--config", Config(), "--metrics", $"127.0.0.1:{port}", $"--serve:socketPath={_dir.File("v.sock")}",
            $"--serve:stateDirectory={_dir.File("state")}", "--status:enabled=false"], new StringWriter(), err);
        Assert.Equal(ExitCodes.ConfigError, code);
        var text = err.ToString().Trim();
        Assert.Contains($"metrics:listen = 127.0.0.1:{port}: port {port} is in use", text);
        Assert.DoesNotContain("\n   at ", text);
        Assert.False(File.Exists(_dir.File("v.sock"))); // nothing else started
    }

    private string Config()
    {
        var path = _dir.File("virtsync.json");
        File.WriteAllText(path, "{}");
        return path;
    }

    private static async Task<string> ScrapeWithRetry(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await http.GetStringAsync(url, TestContext.Current.CancellationToken);
            }
            catch (HttpRequestException) when (attempt < 100)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
    }
}
