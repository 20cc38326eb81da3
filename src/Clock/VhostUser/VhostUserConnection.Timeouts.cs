namespace Sync.Clock.VhostUser;

/// <summary>
/// The connection's timeouts: SET_OWNER within the handshake timeout of the accept, some message or kick within the
/// idle timeout of the last. One check at a time sits in the loop's deadline queue; none when neither applies.
/// </summary>
public sealed partial class VhostUserConnection
{
    /// <summary>Loop thread: a deadline of this connection passed; ends it on a timeout, else waits for the next deadline.</summary>
    internal void CheckTimeouts()
    {
        if (_ended)
        {
            return;
        }
        if (TimedOut() is { } timeout)
        {
            Fail(timeout);
            Close(timeout);
            return;
        }
        ScheduleTimeoutCheck();
    }

    /// <summary>
    /// The nearer of the deadlines: SET_OWNER within <see cref="VhostUserServerOptions.HandshakeTimeout"/> of
    /// the accept (QEMU sends it right after connecting), some message or kick within
    /// <see cref="VhostUserServerOptions.IdleTimeout"/> of the last; long.MaxValue when neither applies.
    /// </summary>
    private long NextDeadlineMs()
    {
        long deadline = long.MaxValue;
        if (!_session.OwnerSet && _options.HandshakeTimeout > TimeSpan.Zero)
        {
            deadline = _acceptedMs + (long)_options.HandshakeTimeout.TotalMilliseconds;
        }
        if (_options.IdleTimeout > TimeSpan.Zero)
        {
            deadline = Math.Min(deadline, _lastActivityMs + (long)_options.IdleTimeout.TotalMilliseconds);
        }
        return deadline;
    }

    private void ScheduleTimeoutCheck()
    {
        _deadline?.Cancel();
        _deadline = null;
        long deadline = NextDeadlineMs();
        if (deadline != long.MaxValue)
        {
            _deadline = _loop!.ScheduleCheck(this, deadline);
        }
    }

    private string? TimedOut()
    {
        long now = Environment.TickCount64;
        if (!_session.OwnerSet && _options.HandshakeTimeout > TimeSpan.Zero && now - _acceptedMs >= (long)_options.HandshakeTimeout.TotalMilliseconds)
        {
            return $"no SET_OWNER within {_options.HandshakeTimeout.TotalSeconds:0.###} s of connecting (serve:handshakeTimeoutSeconds)";
        }
        if (_options.IdleTimeout > TimeSpan.Zero && now - _lastActivityMs >= (long)_options.IdleTimeout.TotalMilliseconds)
        {
            return $"no message or kick for {_options.IdleTimeout.TotalSeconds:0.###} s (serve:idleTimeoutSeconds)";
        }
        return null;
    }
}
