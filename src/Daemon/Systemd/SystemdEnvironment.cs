namespace Sync.Daemon.Systemd;

/// <summary>What systemd told this process through its environment: NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID.</summary>
public sealed record SystemdEnvironment(string? NotifySocket, TimeSpan? WatchdogInterval)
{
    public static SystemdEnvironment None { get; } = new(null, null);

    public static SystemdEnvironment FromProcess() => From(
        Environment.GetEnvironmentVariable("NOTIFY_SOCKET"),
        Environment.GetEnvironmentVariable("WATCHDOG_USEC"),
        Environment.GetEnvironmentVariable("WATCHDOG_PID"),
        Environment.ProcessId);

    /// <summary>WATCHDOG_USEC counts only when WATCHDOG_PID is unset or names this process (sd_watchdog_enabled).</summary>
    public static SystemdEnvironment From(string? notifySocket, string? watchdogUsec, string? watchdogPid, int processId)
    {
        var socket = string.IsNullOrEmpty(notifySocket) ? null : notifySocket;
        TimeSpan? interval = null;
        if (ulong.TryParse(watchdogUsec, out var usec) && usec > 0
            && (string.IsNullOrEmpty(watchdogPid) || (int.TryParse(watchdogPid, out var pid) && pid == processId)))
            interval = TimeSpan.FromMicroseconds(usec);
        return new SystemdEnvironment(socket, interval);
    }
}
