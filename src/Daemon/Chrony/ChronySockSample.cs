using System.Buffers.Binary;
using Sync.Filters.Time;

namespace Sync.Daemon.Chrony;

/// <summary>
/// chrony's SOCK refclock datagram (refclock_sock.c, struct sock_sample) as laid out on x86_64 (LP64):
/// <code>
///  0  struct timeval tv   tv_sec (int64), tv_usec (int64)   system time of the measurement
/// 16  double offset       true time - system time, seconds
/// 24  int pulse           non-zero for a PPS-only sample
/// 28  int leap            0 normal, 1 insert, 2 delete
/// 32  int _pad
/// 36  int magic           0x534f434b ("SOCK")
/// 40  (size; 8-byte aligned, no tail padding)
/// </code>
/// Host byte order (little-endian on x86_64 and arm64).
/// </summary>
public readonly record struct ChronySockSample(long Seconds, long Microseconds, double OffsetSeconds, int Pulse, ChronyLeap Leap)
{
    public const int Size = 40;
    public const int Magic = 0x534f434b;

    /// <summary>
    /// A sample from our measurement: the system clock read at <paramref name="systemTime"/> was off by
    /// <paramref name="localMinusReference"/>; chrony wants reference - local.
    /// </summary>
    public static ChronySockSample FromMeasurement(Instant<Utc> systemTime, Duration localMinusReference, ChronyLeap leap)
    {
        var (seconds, ns) = Math.DivRem(systemTime.Nanoseconds, Duration.NanosecondsPerSecond);
        if (ns < 0) { seconds -= 1; ns += Duration.NanosecondsPerSecond; }
        // tv_usec keeps whole microseconds. The offset stays as measured: chronyd takes the reference at tv as
        // tv + offset, and the clock's offset is the same a fraction of a microsecond earlier (both clocks run on).
        // Folding the dropped remainder into the offset would claim the reference at tv was the reference at the
        // later systemTime: a bias of 0-1 us (mean 0.5 us).
        long usec = ns / 1000;
        double offset = -localMinusReference.Nanoseconds / 1e9;
        return new ChronySockSample(seconds, usec, offset, 0, leap);
    }

    /// <summary>The leap field for the engine's kernel leap flags (chronyd schedules the leap itself).</summary>
    public static ChronyLeap LeapOf(Sync.Filters.Discipline.ClockStatus status) =>
        status.HasFlag(Sync.Filters.Discipline.ClockStatus.InsertLeap) ? ChronyLeap.InsertSecond
        : status.HasFlag(Sync.Filters.Discipline.ClockStatus.DeleteLeap) ? ChronyLeap.DeleteSecond
        : ChronyLeap.Normal;

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size) throw new ArgumentException($"needs {Size} bytes", nameof(destination));
        BinaryPrimitives.WriteInt64LittleEndian(destination, Seconds);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], Microseconds);
        BinaryPrimitives.WriteDoubleLittleEndian(destination[16..], OffsetSeconds);
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], Pulse);
        BinaryPrimitives.WriteInt32LittleEndian(destination[28..], (int)Leap);
        BinaryPrimitives.WriteInt32LittleEndian(destination[32..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(destination[36..], Magic);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Decodes a datagram; false for a wrong size or magic (as chronyd would drop it).</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ChronySockSample sample)
    {
        sample = default;
        if (source.Length != Size || BinaryPrimitives.ReadInt32LittleEndian(source[36..]) != Magic) return false;
        sample = new ChronySockSample(
            BinaryPrimitives.ReadInt64LittleEndian(source),
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadDoubleLittleEndian(source[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[24..]),
            (ChronyLeap)BinaryPrimitives.ReadInt32LittleEndian(source[28..]));
        return true;
    }
}
