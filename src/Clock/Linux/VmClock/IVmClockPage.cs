namespace Sync.Clock.Linux.VmClock;

/// <summary>The shared vmclock page as a seam: the real one is an mmap of /dev/vmclock0, tests use a byte buffer.</summary>
public interface IVmClockPage : IDisposable
{
    int Length { get; }

    /// <summary>seq_count read with acquire semantics (the hypervisor may change it at any time).</summary>
    uint ReadSeqCount();

    /// <summary>Copies the page (up to destination.Length bytes), with a full barrier before and after.</summary>
    void CopyTo(Span<byte> destination);
}
