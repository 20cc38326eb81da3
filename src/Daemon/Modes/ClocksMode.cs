using Sync.Daemon.Cli;

namespace Sync.Daemon.Modes;

/// <summary>PLACEHOLDER for the integrator: `virtsyncd clocks`. args are the arguments after the mode word.</summary>
public static class ClocksMode
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("virtsyncd: clocks is not yet wired");
        return ExitCodes.NotImplemented;
    }
}
