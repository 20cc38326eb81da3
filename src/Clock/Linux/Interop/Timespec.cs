using System.Runtime.InteropServices;

namespace Sync.Clock.Linux.Interop;

/// <summary>struct timespec on 64-bit Linux (16 B).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Timespec
{
    public long Seconds;
    public long Nanoseconds;

    public readonly long TotalNanoseconds => Seconds * 1_000_000_000L + Nanoseconds;
}
