using Microsoft.Extensions.Hosting;

namespace Sync.Daemon.Hosting;

/// <summary>How a service ends the daemon with an exit code (e.g. the loop on an unrecoverable error).</summary>
public sealed class DaemonExit(IHostApplicationLifetime lifetime)
{
    private int _code;

    public int Code => Volatile.Read(ref _code);
    public string? Reason { get; private set; }

    /// <summary>Stops the host; the process then exits with <paramref name="code"/> (first failure wins).</summary>
    public void Fail(int code, string reason)
    {
        if (Interlocked.CompareExchange(ref _code, code, 0) == 0) Reason = reason;
        lifetime.StopApplication();
    }
}
