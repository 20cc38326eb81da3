using System.Runtime.InteropServices;
using Sync.Filters.Time;

namespace Sync.Daemon.ClockBound;

/// <summary>ClockBound's clock status (protocol version 2, offset 68).</summary>
public enum ClockBoundStatus
{
    /// <summary>No estimate yet (or the daemon stopped).</summary>
    Unknown = 0,
    /// <summary>The clock follows its reference; the bound is the estimator's.</summary>
    Synchronized = 1,
    /// <summary>Holdover: no reference, the bound grows with the time since the last sample.</summary>
    FreeRunning = 2,
    /// <summary>A discontinuity (vmclock disruption marker changed, or a step/frequency jump was detected).</summary>
    Disrupted = 3,
}

/// <summary>One publication: the bound at the as-of instant and how a reader ages it.</summary>
public readonly record struct ClockBoundRecord(
    Instant<Monotonic> AsOf,
    Instant<Monotonic> VoidAfter,
    Duration Bound,
    ulong DisruptionMarker,
    uint MaxDriftPpb,
    ClockBoundStatus Status,
    bool DisruptionSupport);

/// <summary>
/// The ClockBound shared-memory segment, protocol version 2 (daemon and clients >= 2.0.0; file
/// /var/run/clockbound/shm0), native endian, 80 bytes. Offsets as in docs/operations.md ("Bounds for applications").
/// The generation at offset 14 is odd while the writer updates, even after; it wraps to 2, never to 0.
/// </summary>
public static class ClockBoundSegment
{
    public const string DefaultPath = "/var/run/clockbound/shm0";

    /// <summary>Bytes 41 4D 5A 4E 43 42 02 00 ("AMZNCB", 0x02, 0x00) read as a native-endian u64.</summary>
    public static ReadOnlySpan<byte> MagicBytes => [0x41, 0x4D, 0x5A, 0x4E, 0x43, 0x42, 0x02, 0x00];

    public const int Size = 80;
    public const ushort Version = 2;

    public const int MagicOffset = 0;
    public const int SizeOffset = 8;
    public const int VersionOffset = 12;
    public const int GenerationOffset = 14;
    public const int AsOfOffset = 16;
    public const int VoidAfterOffset = 32;
    public const int BoundOffset = 48;
    public const int DisruptionMarkerOffset = 56;
    public const int MaxDriftOffset = 64;
    public const int StatusOffset = 68;
    public const int DisruptionSupportOffset = 72;

    /// <summary>Magic, size and version (the parts that never change).</summary>
    public static void WriteHeader(Span<byte> segment)
    {
        MagicBytes.CopyTo(segment[MagicOffset..]);
        MemoryMarshal.Write(segment[SizeOffset..], (uint)Size);
        MemoryMarshal.Write(segment[VersionOffset..], Version);
    }

    /// <summary>Whether the segment already holds a version 2 header (a restart keeps counting its generation).</summary>
    public static bool HasHeader(ReadOnlySpan<byte> segment) =>
        segment.Length >= Size && segment[..8].SequenceEqual(MagicBytes)
        && MemoryMarshal.Read<uint>(segment[SizeOffset..]) == Size && MemoryMarshal.Read<ushort>(segment[VersionOffset..]) == Version;

    /// <summary>Everything after the generation (offsets 16..79).</summary>
    public static void WriteBody(Span<byte> segment, in ClockBoundRecord record)
    {
        WriteTimespec(segment[AsOfOffset..], record.AsOf);
        WriteTimespec(segment[VoidAfterOffset..], record.VoidAfter);
        MemoryMarshal.Write(segment[BoundOffset..], record.Bound.Nanoseconds);
        MemoryMarshal.Write(segment[DisruptionMarkerOffset..], record.DisruptionMarker);
        MemoryMarshal.Write(segment[MaxDriftOffset..], record.MaxDriftPpb);
        MemoryMarshal.Write(segment[StatusOffset..], (int)record.Status);
        segment[DisruptionSupportOffset] = record.DisruptionSupport ? (byte)1 : (byte)0;
        segment[(DisruptionSupportOffset + 1)..Size].Clear();
    }

    /// <summary>The odd generation that marks an update in progress after <paramref name="current"/>.</summary>
    public static ushort BeginGeneration(ushort current) => (current & 1) == 0 ? (ushort)(current + 1) : current;

    /// <summary>The even generation that ends the update begun with <paramref name="odd"/> (65535 + 1 wraps to 2).</summary>
    public static ushort EndGeneration(ushort odd) => odd == ushort.MaxValue ? (ushort)2 : (ushort)(odd + 1);

    private static void WriteTimespec(Span<byte> destination, Instant<Monotonic> instant)
    {
        var seconds = Math.DivRem(instant.Nanoseconds, Duration.NanosecondsPerSecond, out var nanoseconds);
        if (nanoseconds < 0) { seconds--; nanoseconds += Duration.NanosecondsPerSecond; }
        MemoryMarshal.Write(destination, seconds);
        MemoryMarshal.Write(destination[8..], nanoseconds);
    }

}
