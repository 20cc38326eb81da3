namespace Sync.Daemon.Cli;

/// <summary>Entry point: picks the mode from the first argument.</summary>
internal static class CommandLine
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("virtsyncd: modes are being built (issue 2)");
        return 64;
    }
}
