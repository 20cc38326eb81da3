// sched_getattr/sched_setattr (no glibc wrapper everywhere: called through syscall(2)), for the scheduler slice a
// latency-sensitive thread asks for. Part of the one libc surface of the product (LibC.cs).
using System.Runtime.InteropServices;

namespace Sync.Clock.Linux.Interop;

internal static unsafe partial class LibC
{
    /// <summary>struct sched_attr, SCHED_ATTR_SIZE_VER0 (48 bytes; linux/sched/types.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SchedAttr
    {
        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        /// <summary>For SCHED_OTHER since Linux 6.12 (EEVDF): the requested slice in ns, 0 = the default.</summary>
        public ulong Runtime;
        public ulong Deadline;
        public ulong Period;
    }

    public const uint SCHED_OTHER = 0;
    public const uint SCHED_FIFO = 1;

    private static long SysSchedSetattr => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 314 : 274;
    private static long SysSchedGetattr => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 315 : 275;

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int pid, SchedAttr* attributes, uint sizeOrFlags, uint flags);

    /// <summary>sched_getattr(tid, attr, 48, 0): 0 or -1 with errno.</summary>
    public static int SchedGetattr(int threadId, SchedAttr* attributes)
        => (int)Syscall(SysSchedGetattr, threadId, attributes, (uint)sizeof(SchedAttr), 0);

    /// <summary>sched_setattr(tid, attr, 0): 0 or -1 with errno.</summary>
    public static int SchedSetattr(int threadId, SchedAttr* attributes) => (int)Syscall(SysSchedSetattr, threadId, attributes, 0, 0);

    [LibraryImport(Library, EntryPoint = "gettid")]
    public static partial int GetTid();
}
