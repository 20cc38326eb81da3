using Sync.Daemon.Cli;

namespace Sync.Daemon.Tests;

public sealed class CommandLineTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void HelpListsEveryModeWithOneLine()
    {
        var (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var mode in new[] { "sync", "serve", "simulate", "clocks", "status" })
            Assert.Matches($@"(?m)^  {mode}\s+\S.*$", output);
        Assert.Contains("--metrics HOST:PORT", output);
        Assert.Contains("--dry-run", output);
    }

    [Fact]
    public void VersionPrintsTheAssemblyVersion()
    {
        var (code, output, _) = Run("--version");
        Assert.Equal(0, code);
        Assert.Equal($"virtsyncd {DaemonVersion.Text}", output.Trim());
        Assert.Matches(@"^\d+\.\d+\.\d+", DaemonVersion.Text);
    }

    [Fact]
    public void UnknownModeIsAUsageError()
    {
        var (code, _, err) = Run("frobnicate");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown mode 'frobnicate'", err);
    }

    [Fact]
    public void UnknownOptionIsAUsageError()
    {
        var (code, _, err) = Run("status", "--colour");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown argument '--colour'", err);
    }

    [Fact]
    public void OptionWithoutValueIsAUsageError()
    {
        Assert.Equal(ExitCodes.Usage, Run("sync", "--config").Code);
        Assert.Equal(ExitCodes.Usage, Run("sync", "--sources:filter").Code);
    }

    [Fact]
    public void ParsesCommonOptionsAndOverrides()
    {
        Assert.True(CommandArguments.TryParse("sync",
            ["--config=/etc/x.json", "--metrics", "[::1]:9000", "--dry-run", "--json", "--sources:filter=fastest", "--logging:level", "debug"],
            allowOther: false, out var a, out var error), error);
        Assert.Equal("/etc/x.json", a.ConfigPath);
        Assert.Equal("[::1]:9000", a.Metrics);
        Assert.True(a.DryRun);
        Assert.True(a.Json);
        Assert.Equal([new("sources:filter", "fastest"), new("logging:level", "debug")], a.Overrides);
    }

    [Fact]
    public void ModesWithOwnOptionsKeepThemInRest()
    {
        Assert.True(CommandArguments.TryParse("simulate", ["--realtime", "--scenario", "migration", "--dry-run"], allowOther: true, out var a, out _));
        Assert.Equal(["--realtime", "--scenario", "migration"], a.Rest);
        Assert.True(a.DryRun);
    }
}
