namespace Sync.Clock.Abstractions;

/// <summary>What went wrong with a clock operation, in terms a caller can act on.</summary>
public enum ClockErrorKind
{
    /// <summary>This method is not offered (EOPNOTSUPP, ENOTTY): try the next one.</summary>
    NotSupported,
    /// <summary>The device is gone (ENODEV, ENXIO): reopen or rediscover.</summary>
    DeviceGone,
    /// <summary>Try again (EBUSY, EINTR, EAGAIN, ETIMEDOUT).</summary>
    Transient,
    /// <summary>Not allowed (EPERM, EACCES).</summary>
    PermissionDenied,
    /// <summary>Bad arguments (EINVAL).</summary>
    InvalidArgument,
    Other,
    /// <summary>
    /// The device did not answer within the read timeout: the call is stuck in the driver (e.g. a virtqueue request
    /// the host back end will never answer). Try another clock; this one is read again once the stuck call returns.
    /// </summary>
    Timeout,
}

/// <summary>A failed clock operation: kind, errno name (e.g. "ENODEV") and a message naming the call and clock.</summary>
public sealed record ClockError(ClockErrorKind Kind, string ErrnoName, string Message)
{
    public override string ToString() => $"{Message} ({ErrnoName})";
}
