using Sync.Daemon.Cli;
using Sync.Daemon.Hosting;

namespace Sync.Daemon.Modes;

/// <summary>`virtsyncd sync`: validated configuration, then the host with the sync loop (see <see cref="SyncLoopWiring"/>).</summary>
public static class SyncMode
{
    public static int Run(CommandArguments args, TextWriter stdout, TextWriter stderr)
    {
        if (!ModeConfiguration.TryLoad(args, stderr, out var options, out var exitCode)) return exitCode;
        var builder = DaemonHost.CreateBuilder(options, DaemonRole.Sync);
        if (!SyncLoopWiring.TryAdd(builder.Services, options))
        {
            stderr.WriteLine("virtsyncd: sync mode is not yet wired (the sync loop is missing in this build)");
            return ExitCodes.NotImplemented;
        }
        return DaemonHost.Run(builder.Build(), stderr);
    }
}
