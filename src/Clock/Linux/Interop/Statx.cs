using System.Runtime.InteropServices;

namespace Sync.Clock.Linux.Interop;

/// <summary>
/// struct statx (linux/stat.h), filled by statx(2). Unlike struct stat it is the same on every architecture (fixed-width
/// fields, 256 bytes), so one declaration serves x86_64 and arm64; NativeLayoutTests compares it with the C compiler.
/// The fields after stx_dev_minor (mount id, direct-I/O alignment, spare space) are not read.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Size)]
internal struct Statx
{
    public const int Size = 256;

    /// <summary>Which fields were filled (STATX_* bits).</summary>
    public uint Mask;
    public uint BlockSize;
    public ulong Attributes;
    public uint LinkCount;
    public uint Uid;
    public uint Gid;
    /// <summary>File type (<see cref="S_IFMT"/> bits) and permissions.</summary>
    public ushort Mode;
    private ushort _spare0;
    public ulong Inode;
    public ulong SizeBytes;
    public ulong Blocks;
    public ulong AttributesMask;
    public StatxTimestamp AccessTime;
    public StatxTimestamp BirthTime;
    public StatxTimestamp ChangeTime;
    public StatxTimestamp ModifyTime;
    public uint RdevMajor;
    public uint RdevMinor;
    public uint DevMajor;
    public uint DevMinor;

    public const int AT_FDCWD = -100;
    public const int AT_EMPTY_PATH = 0x1000;
    public const uint STATX_TYPE = 0x1;
    public const uint STATX_MODE = 0x2;
    public const uint STATX_INO = 0x100;
    public const uint STATX_SIZE = 0x200;
    public const int S_IFMT = 0xF000;
    public const int S_IFSOCK = 0xC000;

    /// <summary>The file's type bits (S_IFMT of <see cref="Mode"/>).</summary>
    public readonly int FileType => Mode & S_IFMT;

    /// <summary>The file's device and inode: the same pair for two fds of one file (compared with each other only).</summary>
    public readonly (ulong Device, ulong Inode) Identity => (((ulong)DevMajor << 32) | DevMinor, Inode);
}

/// <summary>struct statx_timestamp (linux/stat.h): 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct StatxTimestamp
{
    public long Seconds;
    public uint Nanoseconds;
    private int _reserved;
}
