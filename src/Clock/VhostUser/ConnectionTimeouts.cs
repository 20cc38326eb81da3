namespace Sync.Clock.VhostUser;

/// <summary>
/// A connection's timeouts: SET_OWNER within <see cref="VhostUserServerOptions.HandshakeTimeout"/> of the accept (QEMU
/// sends it right after connecting), some message or kick within <see cref="VhostUserServerOptions.IdleTimeout"/> of the
/// last. Times are <see cref="Environment.TickCount64"/> milliseconds; the connection keeps one check at a time in the
/// loop's deadline queue, none when neither applies.
/// </summary>
internal sealed class ConnectionTimeouts(VhostUserServerOptions options, long acceptedMs)
{
    private readonly long _acceptedMs = acceptedMs;
    private long _lastActivityMs = acceptedMs;

    /// <summary>A message, kick or device notification at <paramref name="nowMs"/>.</summary>
    public void Active(long nowMs) => _lastActivityMs = nowMs;

    /// <summary>The nearer of the deadlines; long.MaxValue when neither applies.</summary>
    public long NextDeadlineMs(bool ownerSet)
    {
        long deadline = long.MaxValue;
        if (!ownerSet && options.HandshakeTimeout > TimeSpan.Zero)
        {
            deadline = _acceptedMs + (long)options.HandshakeTimeout.TotalMilliseconds;
        }
        if (options.IdleTimeout > TimeSpan.Zero)
        {
            deadline = Math.Min(deadline, _lastActivityMs + (long)options.IdleTimeout.TotalMilliseconds);
        }
        return deadline;
    }

    /// <summary>Why the connection timed out at <paramref name="nowMs"/> (naming the setting), or null.</summary>
    public string? TimedOut(bool ownerSet, long nowMs)
    {
        if (!ownerSet && options.HandshakeTimeout > TimeSpan.Zero && nowMs - _acceptedMs >= (long)options.HandshakeTimeout.TotalMilliseconds)
        {
            return $"no SET_OWNER within {options.HandshakeTimeout.TotalSeconds:0.###} s of connecting (serve:handshakeTimeoutSeconds)";
        }
        if (options.IdleTimeout > TimeSpan.Zero && nowMs - _lastActivityMs >= (long)options.IdleTimeout.TotalMilliseconds)
        {
            return $"no message or kick for {options.IdleTimeout.TotalSeconds:0.###} s (serve:idleTimeoutSeconds)";
        }
        return null;
    }
}
