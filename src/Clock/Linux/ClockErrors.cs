using Sync.Clock.Abstractions;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Linux;

/// <summary>Turns errno from a clock call into a <see cref="ClockError"/> a caller can act on.</summary>
public static class ClockErrors
{
    public static ClockErrorKind KindOf(int errno) => errno switch
    {
        Errno.EOPNOTSUPP or Errno.ENOTTY => ClockErrorKind.NotSupported,
        Errno.ENODEV or Errno.ENXIO or Errno.ENOENT => ClockErrorKind.DeviceGone,
        Errno.EBUSY or Errno.EINTR or Errno.EAGAIN or Errno.ETIMEDOUT => ClockErrorKind.Transient,
        Errno.EPERM or Errno.EACCES => ClockErrorKind.PermissionDenied,
        Errno.EINVAL => ClockErrorKind.InvalidArgument,
        _ => ClockErrorKind.Other,
    };

    /// <summary>An error from a PHC call (open, ioctl, clock_gettime) on the device at path.</summary>
    public static ClockError FromPhc(int errno, string call, string path)
    {
        var kind = KindOf(errno);
        var message = kind switch
        {
            ClockErrorKind.NotSupported => $"{call} on {path}: not supported by this clock",
            ClockErrorKind.DeviceGone => $"{call} on {path}: the device is gone",
            ClockErrorKind.PermissionDenied => $"{call} on {path}: permission denied (reading a PHC needs read access to the device node)",
            _ => $"{call} on {path}: {Errno.Describe(errno)}",
        };
        return new ClockError(kind, Errno.Name(errno), message);
    }

    /// <summary>An error from clock_adjtime / clock_gettime on the system clock.</summary>
    public static ClockError FromSystemClock(int errno, string call)
    {
        var kind = KindOf(errno);
        var message = kind == ClockErrorKind.PermissionDenied
            ? $"{call}: steering the clock needs CAP_SYS_TIME"
            : $"{call} on CLOCK_REALTIME: {Errno.Describe(errno)}";
        return new ClockError(kind, Errno.Name(errno), message);
    }

    public static ClockError InvalidArgument(string message) => new(ClockErrorKind.InvalidArgument, "EINVAL", message);
}
