using Sync.Daemon.Modes;

namespace Sync.Daemon.Cli;

/// <summary>Entry point: picks the mode from the first argument.</summary>
internal static class CommandLine
{
    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "simulate")
            return SimulateMode.Run(args[1..], Console.Out, Console.Error);
        Console.Error.WriteLine("virtsyncd: modes are being built (issue 2)");
        return 64;
    }
}
