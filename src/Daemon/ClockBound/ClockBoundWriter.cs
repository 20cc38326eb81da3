using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sync.Daemon.ClockBound;

/// <summary>
/// Writes <see cref="ClockBoundRecord"/>s into the shared segment file with ClockBound's generation protocol: the
/// generation goes odd, the body is written, the generation goes even, with full barriers in between, so a reader
/// that sees the same even generation before and after its copy has a consistent record. One writer per file.
/// A file left by an earlier run keeps its generation count (readers never see it go back).
/// </summary>
public sealed unsafe class ClockBoundWriter : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _segment;
    private bool _disposed;

    public string Path { get; }

    private ClockBoundWriter(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* segment)
    {
        Path = path;
        _file = file;
        _view = view;
        _segment = segment;
    }

    private const UnixFileMode FileMode0644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// Creates (or reuses) the file, mode 0644, and its directory, mode 0755; writes the header. A new file is written
    /// whole under a temporary name and renamed into place, so a client never maps a file shorter than the segment
    /// (reading past the end of a mapped file is SIGBUS): found in the VM lab, where a client opened the file between
    /// its creation and its sizing.
    /// </summary>
    public static ClockBoundWriter Create(string path)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the ClockBound segment is a Linux shared-memory file");
        var directory = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        if (!File.Exists(path) || new FileInfo(path).Length != ClockBoundSegment.Size)
        {
            var temporary = $"{path}.{Environment.ProcessId}.tmp";
            File.Delete(temporary);
            using (var created = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode0644,
            }))
            {
                Span<byte> header = stackalloc byte[ClockBoundSegment.Size];
                header.Clear();
                ClockBoundSegment.WriteHeader(header);
                created.Write(header);
            }
            File.Move(temporary, path, overwrite: true); // rename(2): readers see the old file or the whole new one
        }
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite,
        });
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            file = MemoryMappedFile.CreateFromFile(stream, null, ClockBoundSegment.Size, MemoryMappedFileAccess.ReadWrite,
                HandleInheritability.None, leaveOpen: false);
            view = file.CreateViewAccessor(0, ClockBoundSegment.Size, MemoryMappedFileAccess.ReadWrite);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            var writer = new ClockBoundWriter(path, file, view, pointer + view.PointerOffset);
            var segment = writer.Segment;
            if (!ClockBoundSegment.HasHeader(segment))
            {
                segment.Clear();
                ClockBoundSegment.WriteHeader(segment);
            }
            return writer;
        }
        catch
        {
            view?.Dispose();
            if (file is not null) file.Dispose(); else stream.Dispose();
            throw;
        }
    }

    private Span<byte> Segment => new(_segment, ClockBoundSegment.Size);

    private ref ushort Generation => ref Unsafe.AsRef<ushort>(_segment + ClockBoundSegment.GenerationOffset);

    /// <summary>The generation now in the segment (even between publications).</summary>
    public ushort CurrentGeneration => Volatile.Read(ref Generation);

    public void Publish(in ClockBoundRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var odd = ClockBoundSegment.BeginGeneration(Volatile.Read(ref Generation));
        Volatile.Write(ref Generation, odd);
        Interlocked.MemoryBarrier();
        ClockBoundSegment.WriteBody(Segment, record);
        Interlocked.MemoryBarrier();
        Volatile.Write(ref Generation, ClockBoundSegment.EndGeneration(odd));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
