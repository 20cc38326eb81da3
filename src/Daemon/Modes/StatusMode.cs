using System.Text;
using Sync.Daemon.Cli;
using Sync.Daemon.Status;

namespace Sync.Daemon.Modes;

/// <summary>`virtsyncd status [--json]`: asks the running daemon over status:socketPath; exit 3 when none runs.</summary>
public static class StatusMode
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static int Run(CommandArguments args, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? environment = null)
    {
        if (!ModeConfiguration.TryLoad(args, stderr, out var options, out var exitCode, environment)) return exitCode;
        var path = options.Status.SocketPath;
        var result = StatusClient.Query(path, Timeout);
        switch (result.Outcome)
        {
            case StatusClient.Outcome.NotRunning:
                stderr.WriteLine($"virtsyncd is not running ({result.Problem})");
                return ExitCodes.StatusNotRunning;
            case StatusClient.Outcome.BadReply:
                stderr.WriteLine($"virtsyncd status: {result.Problem}");
                return ExitCodes.RuntimeFailure;
        }

        var reply = result.Reply!;
        if (args.Json)
        {
            stdout.WriteLine(Encoding.UTF8.GetString(result.RawJson));
            return ExitCodes.Ok;
        }
        if (reply.Status is null)
        {
            stdout.WriteLine($"virtsyncd is running: {reply.Message ?? "no status yet"}");
            return ExitCodes.Ok;
        }
        stdout.Write(StatusRenderer.Render(reply.Status));
        return ExitCodes.Ok;
    }
}
