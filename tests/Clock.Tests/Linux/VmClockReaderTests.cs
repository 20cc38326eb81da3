using System.Buffers.Binary;
using Sync.Clock.Abstractions;
using Sync.Clock.Linux.VmClock;

namespace Sync.Clock.Tests.Linux;

public class VmClockReaderTests
{
    private sealed class FakePage(byte[] bytes) : IVmClockPage
    {
        public byte[] Bytes { get; } = bytes;
        public Queue<uint> SeqCounts { get; } = new();
        public Action? DuringCopy { get; set; }
        public int Copies { get; private set; }
        public int Length => Bytes.Length;

        public uint ReadSeqCount() =>
            SeqCounts.Count > 0 ? SeqCounts.Dequeue() : BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(VmClockLayout.SeqCountOffset));

        public void CopyTo(Span<byte> destination)
        {
            Copies++;
            Bytes.AsSpan(0, Math.Min(Bytes.Length, destination.Length)).CopyTo(destination);
            DuringCopy?.Invoke();
        }

        public void Dispose() { }
    }

    private static byte[] Page(uint size = 4096, ulong flags = 0x7F | 0x100, ulong disruption = 0xABCDEF, short tai = 37, uint seq = 4)
    {
        var page = new byte[4096];
        var s = page.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s[VmClockLayout.MagicOffset..], VmClockLayout.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(s[VmClockLayout.SizeOffset..], size);
        BinaryPrimitives.WriteUInt16LittleEndian(s[VmClockLayout.VersionOffset..], 1);
        s[VmClockLayout.CounterIdOffset] = (byte)VmClockCounter.X86Tsc;
        s[VmClockLayout.TimeTypeOffset] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(s[VmClockLayout.SeqCountOffset..], seq);
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.DisruptionMarkerOffset..], disruption);
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.FlagsOffset..], flags);
        s[VmClockLayout.ClockStatusOffset] = (byte)VmClockStatus.Synchronized;
        s[VmClockLayout.SmearingHintOffset] = 1;
        BinaryPrimitives.WriteInt16LittleEndian(s[VmClockLayout.TaiOffsetSecOffset..], tai);
        s[VmClockLayout.LeapIndicatorOffset] = (byte)VmClockLeapIndicator.PrePositive;
        s[VmClockLayout.CounterPeriodShiftOffset] = 4;
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.CounterValueOffset..], 1_000_000);
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.CounterPeriodFracSecOffset..], 0x1234);
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.CounterPeriodEsterrorRateOffset..], 11);
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.CounterPeriodMaxerrorRateOffset..], 22);
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.TimeSecOffset..], 1_764_000_000);
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.TimeFracSecOffset..], 1UL << 63);
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.TimeEsterrorNsOffset..], 1_500);
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.TimeMaxerrorNsOffset..], 9_000);
        BinaryPrimitives.WriteUInt64LittleEndian(s[VmClockLayout.VmGenerationCounterOffset..], 3);
        return page;
    }

    [Fact]
    public void Read_DecodesEveryField()
    {
        using var reader = new VmClockReader(new FakePage(Page()), "/dev/vmclock0");

        var s = reader.Read().Value;

        Assert.Equal(4u, s.SeqCount);
        Assert.Equal(0xABCDEFUL, s.DisruptionMarker);
        Assert.Equal(VmClockStatus.Synchronized, s.ClockStatus);
        Assert.Equal((short)37, s.TaiOffsetSeconds);
        Assert.Equal(VmClockLeapIndicator.PrePositive, s.LeapIndicator);
        Assert.Equal((byte)VmClockCounter.X86Tsc, s.CounterId);
        Assert.Equal((byte)1, s.TimeType);
        Assert.Equal((byte)4, s.CounterPeriodShift);
        Assert.Equal(1_000_000UL, s.CounterValue);
        Assert.Equal(0x1234UL, s.CounterPeriodFracSec);
        Assert.Equal(11UL, s.CounterPeriodEsterrorRateFracSec);
        Assert.Equal(22UL, s.CounterPeriodMaxerrorRateFracSec);
        Assert.Equal(1_764_000_000UL, s.TimeSeconds);
        Assert.Equal(1UL << 63, s.TimeFracSec);
        Assert.Equal(1_500UL, s.TimeEsterrorNs);
        Assert.Equal(9_000UL, s.TimeMaxerrorNs);
        Assert.Equal(3UL, s.VmGenerationCounter);
        Assert.True(s.Flags.HasFlag(VmClockFlags.TaiOffsetValid));
    }

    [Fact]
    public void FlagsGateTheOptionalValues_AndTaiOffsetIsSigned()
    {
        using var reader = new VmClockReader(new FakePage(Page(flags: (ulong)VmClockFlags.TaiOffsetValid, tai: -5)));

        var s = reader.Read().Value;

        Assert.Equal((short)-5, s.TaiOffsetSeconds);
        Assert.Null(s.TimeEsterrorNs);
        Assert.Null(s.TimeMaxerrorNs);
        Assert.Null(s.CounterPeriodEsterrorRateFracSec);
        Assert.Null(s.VmGenerationCounter);
        Assert.Null(new VmClockReader(new FakePage(Page(flags: 0))).Read().Value.TaiOffsetSeconds);
    }

    [Fact]
    public void ShortPage_LeavesTheFieldsBeyondItsSizeUnset()
    {
        using var reader = new VmClockReader(new FakePage(Page(size: 40)));

        var s = reader.Read().Value;

        Assert.Equal(VmClockStatus.Synchronized, s.ClockStatus);
        Assert.NotNull(s.LeapIndicator);
        Assert.Null(s.CounterValue);
        Assert.Null(s.TimeSeconds);
        Assert.Null(s.TimeMaxerrorNs);
    }

    [Fact]
    public void OddSeqCount_MeansUpdateInProgress_ReadWaitsForEven()
    {
        var page = new FakePage(Page(seq: 8));
        page.SeqCounts.Enqueue(7);
        page.SeqCounts.Enqueue(7);
        using var reader = new VmClockReader(page);

        var s = reader.Read().Value;

        Assert.Equal(8u, s.SeqCount);
        Assert.Equal(1, page.Copies);
    }

    [Fact]
    public void SeqCountChangedDuringCopy_CopyIsRetried_AndTheNewValuesWin()
    {
        var bytes = Page(seq: 10, disruption: 1);
        var page = new FakePage(bytes);
        page.DuringCopy = () =>
        {
            // The hypervisor updates the page while we copy (seq 10 -> 12) once.
            if (page.Copies != 1) return;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(VmClockLayout.SeqCountOffset), 12);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(VmClockLayout.DisruptionMarkerOffset), 2);
        };
        using var reader = new VmClockReader(page);

        var s = reader.Read().Value;

        Assert.Equal(2, page.Copies);
        Assert.Equal(12u, s.SeqCount);
        Assert.Equal(2UL, s.DisruptionMarker);
    }

    [Fact]
    public void SeqCountStayingOdd_GivesATransientError()
    {
        using var reader = new VmClockReader(new FakePage(Page(seq: 5)));

        var error = reader.Read().Error!;

        Assert.Equal(ClockErrorKind.Transient, error.Kind);
        Assert.Contains("/dev/vmclock0", error.Message);
    }

    [Theory]
    [InlineData(VmClockLayout.MagicOffset, "magic")]
    [InlineData(VmClockLayout.VersionOffset, "version")]
    public void WrongMagicOrVersion_IsAnError(int offset, string word)
    {
        var bytes = Page();
        bytes[offset] ^= 0x5A;

        var result = new VmClockReader(new FakePage(bytes)).Read();

        Assert.False(result.IsOk);
        Assert.Contains(word, result.Error!.Message);
    }

    [Fact]
    public void DisruptionMarkerOrGenerationChange_IsADisruption()
    {
        var before = new VmClockReader(new FakePage(Page(disruption: 1))).Read().Value;
        var same = new VmClockReader(new FakePage(Page(disruption: 1, seq: 40))).Read().Value;
        var migrated = new VmClockReader(new FakePage(Page(disruption: 2))).Read().Value;
        var restored = before with { VmGenerationCounter = 4 };

        Assert.False(same.IsDisruptedSince(before));
        Assert.True(migrated.IsDisruptedSince(before));
        Assert.True(restored.IsDisruptedSince(before));
    }
}
