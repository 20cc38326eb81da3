using System.Runtime.InteropServices;

namespace Sync.Clock.Linux.Interop;

/// <summary>
/// struct epoll_event on x86_64: glibc declares it __EPOLL_PACKED there (the kernel's layout for 32-bit compatibility),
/// so the 64-bit data follows the 32-bit events at byte 4 and the struct is 12 bytes. Pack = 4 gives exactly that.
/// NativeLayoutTests compares it with the C compiler on x86_64.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct EpollEventPacked
{
    public uint Events;
    public ulong Data;
}

/// <summary>
/// struct epoll_event everywhere else (arm64): naturally aligned, data at byte 8, 16 bytes. <see cref="LibC.EpollEventBytes"/>
/// says which of the two the running process uses.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct EpollEventAligned
{
    public uint Events;
    public ulong Data;
}
