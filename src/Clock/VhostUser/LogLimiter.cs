namespace Sync.Clock.VhostUser;

/// <summary>
/// At most one warning per interval (<see cref="VhostUserServerOptions.RefusalLogInterval"/>), so a front end that keeps
/// reconnecting, or a process out of fds, cannot flood the journal. Times are <see cref="Environment.TickCount64"/> ms.
/// </summary>
internal sealed class LogLimiter(TimeSpan interval)
{
    private long _lastMs = long.MinValue;

    /// <summary>True (and the interval starts again) when the first warning, or one a whole interval after the last, is due at <paramref name="nowMs"/>.</summary>
    public bool Due(long nowMs)
    {
        if (_lastMs != long.MinValue && nowMs - _lastMs < (long)interval.TotalMilliseconds)
        {
            return false;
        }
        _lastMs = nowMs;
        return true;
    }
}
