using Microsoft.Extensions.Logging;
using System.Buffers.Binary;
using Sync.Daemon.Chrony;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

public sealed class ChronySockTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void LayoutMatchesChronysStructOnX86_64()
    {
        var bytes = new ChronySockSample(1_795_000_000, 123_456, -2.5e-6, 0, ChronyLeap.InsertSecond).ToBytes();
        Assert.Equal(40, bytes.Length);
        Assert.Equal(1_795_000_000, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(0)));   // tv.tv_sec
        Assert.Equal(123_456, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)));         // tv.tv_usec
        Assert.Equal(-2.5e-6, BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(16)));       // offset
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(24)));              // pulse
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(28)));              // leap
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(32)));              // _pad
        Assert.Equal(0x534f434b, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(36)));     // magic
        Assert.Equal("KCOS", System.Text.Encoding.ASCII.GetString(bytes, 36, 4));
    }

    [Fact]
    public void OffsetIsReferenceMinusLocalWithNoSubMicrosecondBias()
    {
        // System clock read 1795000000.123456789; it was 500 ns fast (local - reference = +500 ns).
        var at = Instant<Utc>.FromSeconds(1_795_000_000, 123_456_789);
        var sample = ChronySockSample.FromMeasurement(at, Duration.FromNanoseconds(500), ChronyLeap.Normal);
        Assert.Equal(1_795_000_000, sample.Seconds);
        Assert.Equal(123_456, sample.Microseconds);
        // chronyd takes the reference at tv as tv + offset. At tv (789 ns before the read) the clock was 500 ns
        // fast as well, so the reference then was ...123455.500 us: the offset is -500 ns, with no sub-us bias.
        Assert.Equal(-500e-9, sample.OffsetSeconds, 15);
        var referenceAtTvNs = (sample.Seconds * 1_000_000_000L + sample.Microseconds * 1000) + sample.OffsetSeconds * 1e9;
        Assert.Equal(at.Nanoseconds - 789 - 500, referenceAtTvNs, 3);
    }

    [Fact]
    public void NegativeInstantsNormaliseTheTimeval()
    {
        var sample = ChronySockSample.FromMeasurement(new Instant<Utc>(-1), Duration.Zero, ChronyLeap.Normal);
        Assert.Equal(-1, sample.Seconds);
        Assert.Equal(999_999, sample.Microseconds);
        Assert.Equal(0, sample.OffsetSeconds, 15);
    }

    [Fact]
    public void DecodingRejectsWrongSizeOrMagic()
    {
        var bytes = new ChronySockSample(1, 2, 3, 0, ChronyLeap.DeleteSecond).ToBytes();
        Assert.True(ChronySockSample.TryRead(bytes, out var back));
        Assert.Equal(new ChronySockSample(1, 2, 3, 0, ChronyLeap.DeleteSecond), back);
        Assert.False(ChronySockSample.TryRead(bytes.AsSpan(0, 39), out _));
        bytes[36] ^= 1;
        Assert.False(ChronySockSample.TryRead(bytes, out _));
    }

    [Fact]
    public void SendsOneDatagramPerSampleToChronysSocket()
    {
        using var chronyd = new DatagramSink(_dir.File("virtsync.sock"));
        using var refclock = new ChronySockRefclock(chronyd.Address);
        Assert.True(refclock.Send(Instant<Utc>.FromSeconds(1_795_000_000, 250_000_000), Duration.FromMicroseconds(-3), ChronyLeap.InsertSecond));
        var datagram = chronyd.Receive();
        Assert.True(ChronySockSample.TryRead(datagram, out var sample));
        Assert.Equal(1_795_000_000, sample.Seconds);
        Assert.Equal(250_000, sample.Microseconds);
        Assert.Equal(3e-6, sample.OffsetSeconds, 15);
        Assert.Equal(ChronyLeap.InsertSecond, sample.Leap);
        Assert.Equal(1, refclock.Sent);
    }

    [Fact]
    public void MissingChronydDropsTheSampleWithAHint()
    {
        using var refclock = new ChronySockRefclock(_dir.File("absent.sock"));
        Assert.False(refclock.Send(Instant<Utc>.FromSeconds(1), Duration.Zero));
        Assert.Equal(1, refclock.Dropped);
        Assert.Contains("refclock SOCK", refclock.LastError);
    }

    [Fact]
    public void DryRunSendsNothing()
    {
        using var chronyd = new DatagramSink(_dir.File("virtsync.sock"));
        using var refclock = new ChronySockRefclock(chronyd.Address, dryRun: true);
        Assert.False(refclock.Send(Instant<Utc>.FromSeconds(1), Duration.Zero));
        Assert.Empty(chronyd.Drain());
    }

    [Fact]
    public void SocketStateIsLoggedOncePerChangeAndCounted()
    {
        var log = new ListLogger();
        var path = _dir.File("virtsync.sock");
        using var refclock = new ChronySockRefclock(path, logger: log);

        // No chronyd yet: every sample is dropped, one Warning for the state.
        for (var i = 0; i < 5; i++)
            Assert.False(refclock.Send(Instant<Utc>.FromSeconds(1 + i), Duration.Zero));
        Assert.False(refclock.Feeding);
        Assert.Equal(5, refclock.Dropped);
        Assert.Single(log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains(path, log.Entries[0].Message);

        // chronyd starts: feeding, said once.
        using (var chronyd = new DatagramSink(path))
        {
            for (var i = 0; i < 3; i++)
                Assert.True(refclock.Send(Instant<Utc>.FromSeconds(10 + i), Duration.Zero));
            Assert.True(refclock.Feeding);
            Assert.Equal(3, refclock.Sent);
            Assert.Null(refclock.LastError);
            Assert.Equal(3, chronyd.Drain().Count);
        }
        Assert.Equal(2, log.Entries.Count);
        Assert.Equal(LogLevel.Information, log.Entries[1].Level);

        // chronyd gone again: one more Warning however many samples are dropped.
        File.Delete(path);
        for (var i = 0; i < 4; i++)
            refclock.Send(Instant<Utc>.FromSeconds(20 + i), Duration.Zero);
        Assert.Equal(9, refclock.Dropped);
        Assert.Equal(2, log.Entries.Count(e => e.Level == LogLevel.Warning));
        Assert.False(refclock.Feeding);
        Assert.NotNull(refclock.LastError);
    }
}
