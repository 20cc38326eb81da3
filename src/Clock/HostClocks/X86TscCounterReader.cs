using Sync.Clock.Linux.Interop;
using System.Runtime.InteropServices;
using Sync.Clock.Virtio.Rtc;

namespace Sync.Clock.HostClocks;

/// <summary>
/// Reads the host TSC for X86_TSC cross-timestamps. .NET has no rdtsc intrinsic, so this maps a 12-byte
/// routine (lfence; rdtsc; shl rdx,32; or rax,rdx; ret) into an executable page once and calls it through an
/// unmanaged function pointer. Only for x86-64 Linux; <see cref="TryCreate"/> says why when it is unavailable.
/// </summary>
public sealed unsafe partial class X86TscCounterReader : IHardwareCounterReader
{
    private static readonly byte[] ReadTscCode =
    [
        0x0F, 0xAE, 0xE8,       // lfence: earlier loads complete before the counter is read
        0x0F, 0x31,             // rdtsc: edx:eax = TSC
        0x48, 0xC1, 0xE2, 0x20, // shl rdx, 32
        0x48, 0x09, 0xD0,       // or rax, rdx
        0xC3,                   // ret
    ];

    private const nuint PageSize = 4096;

    private static readonly Lock CreateGate = new();
    private static X86TscCounterReader? _shared;

    private readonly delegate* unmanaged<ulong> _readTsc;

    private X86TscCounterReader(delegate* unmanaged<ulong> readTsc) => _readTsc = readTsc;

    public VirtioRtcHwCounter Counter => VirtioRtcHwCounter.X86Tsc;

    public ulong ReadCycles() => _readTsc();

    /// <summary>The process-wide reader (the code page is mapped once and never unmapped).</summary>
    public static bool TryCreate(out X86TscCounterReader? reader, out string? unavailableReason)
    {
        reader = null;
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64 || !OperatingSystem.IsLinux())
        {
            unavailableReason = $"the host TSC can only be read on x86-64 Linux, not {RuntimeInformation.ProcessArchitecture} {RuntimeInformation.OSDescription}";
            return false;
        }
        lock (CreateGate)
        {
            if (_shared is null)
            {
                var page = LibC.Mmap(0, PageSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
                if (page == LibC.MapFailed)
                {
                    unavailableReason = $"mmap of a code page failed: errno {Marshal.GetLastPInvokeError()}";
                    return false;
                }
                ReadTscCode.CopyTo(new Span<byte>((void*)page, ReadTscCode.Length));
                if (LibC.Mprotect(page, PageSize, LibC.PROT_READ | LibC.PROT_EXEC) != 0)
                {
                    unavailableReason = $"mprotect(PROT_EXEC) failed (errno {Marshal.GetLastPInvokeError()}): executable memory is not allowed here";
                    LibC.Munmap(page, PageSize);
                    return false;
                }
                _shared = new X86TscCounterReader((delegate* unmanaged<ulong>)(void*)page);
            }
        }
        reader = _shared;
        unavailableReason = null;
        return true;
    }

}
