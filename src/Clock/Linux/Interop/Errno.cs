namespace Sync.Clock.Linux.Interop;

/// <summary>The errno values (x86_64/arm64 Linux, asm-generic) the clock code tells apart, and their names.</summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOTTY = 25;
    public const int EROFS = 30;
    public const int ERANGE = 34;
    public const int EOPNOTSUPP = 95;
    public const int ECONNABORTED = 103;
    public const int ETIMEDOUT = 110;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        EIO => "EIO",
        ENXIO => "ENXIO",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EFAULT => "EFAULT",
        EBUSY => "EBUSY",
        ENODEV => "ENODEV",
        EINVAL => "EINVAL",
        ENOTTY => "ENOTTY",
        EROFS => "EROFS",
        ERANGE => "ERANGE",
        EOPNOTSUPP => "EOPNOTSUPP",
        ECONNABORTED => "ECONNABORTED",
        ETIMEDOUT => "ETIMEDOUT",
        _ => $"errno {errno}",
    };

    public static string Describe(int errno) => errno switch
    {
        EPERM => "operation not permitted",
        ENOENT => "no such file or directory",
        EINTR => "interrupted system call",
        EIO => "input/output error",
        ENXIO => "no such device or address",
        EAGAIN => "resource temporarily unavailable",
        ENOMEM => "cannot allocate memory",
        EACCES => "permission denied",
        EFAULT => "bad address",
        EBUSY => "device or resource busy",
        ENODEV => "no such device",
        EINVAL => "invalid argument",
        ENOTTY => "inappropriate ioctl for device",
        EROFS => "read-only file system",
        ERANGE => "numerical result out of range",
        EOPNOTSUPP => "operation not supported",
        ECONNABORTED => "software caused connection abort",
        ETIMEDOUT => "connection timed out",
        _ => "unknown error",
    };
}
