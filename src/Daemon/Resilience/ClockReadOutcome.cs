using Sync.Clock.Abstractions;

namespace Sync.Daemon.Resilience;

/// <summary>How a guarded read ended.</summary>
public enum ClockReadStatus
{
    Ok,
    /// <summary>Failed after retries (or a non-transient error); counts toward the circuit.</summary>
    Failed,
    /// <summary>The circuit is open: the clock was not touched.</summary>
    CircuitOpen,
    /// <summary>ENODEV/ENXIO: stop using this handle and rediscover the clock.</summary>
    DeviceGone,
}

/// <summary>The result of one guarded read: value or error, plus how many calls it took.</summary>
public readonly record struct ClockReadOutcome<T>(ClockReadStatus Status, T? Value, ClockError? Error, int Attempts)
{
    public bool IsOk => Status == ClockReadStatus.Ok;
}
