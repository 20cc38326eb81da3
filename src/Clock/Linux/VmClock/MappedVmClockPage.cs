using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Sync.Clock.Abstractions;
using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Linux.VmClock;

/// <summary>/dev/vmclock0 mapped read-only (one page, as the driver requires).</summary>
public sealed unsafe class MappedVmClockPage : IVmClockPage
{
    public const string DefaultPath = "/dev/vmclock0";

    private nint _address;

    private MappedVmClockPage(nint address, int length)
    {
        _address = address;
        Length = length;
    }

    public int Length { get; }

    public static ClockResult<IVmClockPage> Open(string path = DefaultPath)
    {
        var fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) return ClockErrors.FromPhc(Marshal.GetLastPInvokeError(), "open", path);
        var length = Environment.SystemPageSize;
        var address = LibC.Mmap(0, (nuint)length, LibC.PROT_READ, LibC.MAP_SHARED, fd, 0);
        var errno = address == LibC.MapFailed ? Marshal.GetLastPInvokeError() : 0;
        LibC.Close(fd);
        if (errno != 0) return ClockErrors.FromPhc(errno, "mmap", path);
        return ClockResult<IVmClockPage>.Ok(new MappedVmClockPage(address, length));
    }

    public uint ReadSeqCount()
    {
        ObjectDisposedException.ThrowIf(_address == 0, this);
        var value = Volatile.Read(ref *(uint*)(_address + VmClockLayout.SeqCountOffset));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    public void CopyTo(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_address == 0, this);
        Interlocked.MemoryBarrier();
        new ReadOnlySpan<byte>((void*)_address, Math.Min(Length, destination.Length)).CopyTo(destination);
        Interlocked.MemoryBarrier();
    }

    public void Dispose()
    {
        if (_address == 0) return;
        LibC.Munmap(_address, (nuint)Length);
        _address = 0;
    }
}
