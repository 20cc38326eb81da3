using Sync.Daemon.Cli;

namespace Sync.Daemon.Modes;

/// <summary>PLACEHOLDER for the integrator: `virtsyncd serve`. args are the arguments after the mode word.</summary>
public static class ServeMode
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("virtsyncd: serve is not yet wired");
        return ExitCodes.NotImplemented;
    }
}
