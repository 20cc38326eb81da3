using System.Buffers.Binary;

namespace Sync.Clock.Linux.VmClock;

/// <summary>
/// One consistent copy of the vmclock page (taken under its seqcount). Optional values are null when the page is
/// too short to hold them or when their flag says they are not valid. A changed <see cref="DisruptionMarker"/>
/// means the counter was disrupted (live migration, snapshot restore): reset the estimator and widen the bound.
/// </summary>
public sealed record VmClockSnapshot(
    uint SizeBytes,
    ushort Version,
    byte CounterId,
    byte TimeType,
    uint SeqCount,
    ulong DisruptionMarker,
    VmClockFlags Flags,
    VmClockStatus ClockStatus,
    byte SmearingHint,
    short? TaiOffsetSeconds,
    VmClockLeapIndicator? LeapIndicator,
    byte? CounterPeriodShift,
    ulong? CounterValue,
    ulong? CounterPeriodFracSec,
    ulong? CounterPeriodEsterrorRateFracSec,
    ulong? CounterPeriodMaxerrorRateFracSec,
    ulong? TimeSeconds,
    ulong? TimeFracSec,
    ulong? TimeEsterrorNs,
    ulong? TimeMaxerrorNs,
    ulong? VmGenerationCounter)
{
    /// <summary>True when this snapshot says the clock was disrupted after earlier was taken.</summary>
    public bool IsDisruptedSince(VmClockSnapshot earlier) =>
        DisruptionMarker != earlier.DisruptionMarker
        || (VmGenerationCounter is { } now && earlier.VmGenerationCounter is { } before && now != before);

    /// <summary>Parses a consistent copy; null when the magic, version or size is wrong (the message says which).</summary>
    public static VmClockSnapshot? Parse(ReadOnlySpan<byte> page, out string? problem)
    {
        problem = null;
        if (page.Length < VmClockLayout.MinimumSize)
        {
            problem = $"vmclock page is {page.Length} bytes, shorter than the {VmClockLayout.MinimumSize} required";
            return null;
        }
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(page[VmClockLayout.MagicOffset..]);
        if (magic != VmClockLayout.Magic)
        {
            problem = $"vmclock magic is 0x{magic:X8}, expected 0x{VmClockLayout.Magic:X8}";
            return null;
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(page[VmClockLayout.VersionOffset..]);
        if (version != 1)
        {
            problem = $"vmclock version {version} is not supported (expected 1)";
            return null;
        }
        var declaredSize = BinaryPrimitives.ReadUInt32LittleEndian(page[VmClockLayout.SizeOffset..]);
        if (declaredSize < VmClockLayout.MinimumSize)
        {
            problem = $"vmclock size field {declaredSize} is below {VmClockLayout.MinimumSize}";
            return null;
        }
        var available = (int)Math.Min(declaredSize, (uint)page.Length);
        var flags = (VmClockFlags)BinaryPrimitives.ReadUInt64LittleEndian(page[VmClockLayout.FlagsOffset..]);

        short? tai = (flags & VmClockFlags.TaiOffsetValid) != 0 && Has(available, VmClockLayout.TaiOffsetSecOffset, 2)
            ? BinaryPrimitives.ReadInt16LittleEndian(page[VmClockLayout.TaiOffsetSecOffset..])
            : null;

        return new VmClockSnapshot(
            declaredSize,
            version,
            page[VmClockLayout.CounterIdOffset],
            page[VmClockLayout.TimeTypeOffset],
            BinaryPrimitives.ReadUInt32LittleEndian(page[VmClockLayout.SeqCountOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(page[VmClockLayout.DisruptionMarkerOffset..]),
            flags,
            (VmClockStatus)(U8(page, available, VmClockLayout.ClockStatusOffset) ?? 0),
            U8(page, available, VmClockLayout.SmearingHintOffset) ?? 0,
            tai,
            U8(page, available, VmClockLayout.LeapIndicatorOffset) is { } leap ? (VmClockLeapIndicator)leap : null,
            U8(page, available, VmClockLayout.CounterPeriodShiftOffset),
            U64(page, available, VmClockLayout.CounterValueOffset),
            U64(page, available, VmClockLayout.CounterPeriodFracSecOffset),
            U64If(page, available, flags, VmClockLayout.CounterPeriodEsterrorRateOffset, VmClockFlags.PeriodEsterrorValid),
            U64If(page, available, flags, VmClockLayout.CounterPeriodMaxerrorRateOffset, VmClockFlags.PeriodMaxerrorValid),
            U64(page, available, VmClockLayout.TimeSecOffset),
            U64(page, available, VmClockLayout.TimeFracSecOffset),
            U64If(page, available, flags, VmClockLayout.TimeEsterrorNsOffset, VmClockFlags.TimeEsterrorValid),
            U64If(page, available, flags, VmClockLayout.TimeMaxerrorNsOffset, VmClockFlags.TimeMaxerrorValid),
            U64If(page, available, flags, VmClockLayout.VmGenerationCounterOffset, VmClockFlags.VmGenerationCounterPresent));
    }
    private static bool Has(int available, int offset, int size) => offset + size <= available;

    private static byte? U8(ReadOnlySpan<byte> page, int available, int offset) =>
        Has(available, offset, 1) ? page[offset] : null;

    private static ulong? U64(ReadOnlySpan<byte> page, int available, int offset) =>
        Has(available, offset, 8) ? BinaryPrimitives.ReadUInt64LittleEndian(page[offset..]) : null;

    private static ulong? U64If(ReadOnlySpan<byte> page, int available, VmClockFlags flags, int offset, VmClockFlags flag) =>
        (flags & flag) != 0 ? U64(page, available, offset) : null;
}
