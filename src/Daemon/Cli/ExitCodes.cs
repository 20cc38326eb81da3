namespace Sync.Daemon.Cli;

/// <summary>Process exit codes (sysexits.h where one fits).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int RuntimeFailure = 1;
    /// <summary>`status`: no daemon answers on the status socket.</summary>
    public const int StatusNotRunning = 3;
    /// <summary>EX_USAGE: bad command line.</summary>
    public const int Usage = 64;
    /// <summary>EX_SOFTWARE: the mode is not wired up in this build.</summary>
    public const int NotImplemented = 70;
    /// <summary>EX_CONFIG: bad configuration.</summary>
    public const int ConfigError = 78;
}
