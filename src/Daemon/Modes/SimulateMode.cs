using Sync.Daemon.Cli;

namespace Sync.Daemon.Modes;

/// <summary>PLACEHOLDER for the integrator: `virtsyncd simulate`. args are the arguments after the mode word.</summary>
public static class SimulateMode
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("virtsyncd: simulate is not yet wired");
        return ExitCodes.NotImplemented;
    }
}
