namespace Sync.Clock.Linux.VmClock;

/// <summary>Offsets of struct vmclock_abi (Linux include/uapi/linux/vmclock-abi.h, version 1, little-endian).</summary>
public static class VmClockLayout
{
    public const uint Magic = 0x4b4c4356; // "VCLK"
    public const int MagicOffset = 0;
    public const int SizeOffset = 4;
    public const int VersionOffset = 8;
    public const int CounterIdOffset = 10;
    public const int TimeTypeOffset = 11;
    public const int SeqCountOffset = 12;
    public const int DisruptionMarkerOffset = 16;
    public const int FlagsOffset = 24;
    public const int ClockStatusOffset = 34;
    public const int SmearingHintOffset = 35;
    public const int TaiOffsetSecOffset = 36;
    public const int LeapIndicatorOffset = 38;
    public const int CounterPeriodShiftOffset = 39;
    public const int CounterValueOffset = 40;
    public const int CounterPeriodFracSecOffset = 48;
    public const int CounterPeriodEsterrorRateOffset = 56;
    public const int CounterPeriodMaxerrorRateOffset = 64;
    public const int TimeSecOffset = 72;
    public const int TimeFracSecOffset = 80;
    public const int TimeEsterrorNsOffset = 88;
    public const int TimeMaxerrorNsOffset = 96;
    public const int VmGenerationCounterOffset = 104;
    /// <summary>sizeof(struct vmclock_abi) with every field.</summary>
    public const int FullSize = 112;
    /// <summary>The driver needs at least up to the flags field (offsetof pad).</summary>
    public const int MinimumSize = 32;
}

[Flags]
public enum VmClockFlags : ulong
{
    None = 0,
    TaiOffsetValid = 1 << 0,
    DisruptionSoon = 1 << 1,
    DisruptionImminent = 1 << 2,
    PeriodEsterrorValid = 1 << 3,
    PeriodMaxerrorValid = 1 << 4,
    TimeEsterrorValid = 1 << 5,
    TimeMaxerrorValid = 1 << 6,
    TimeMonotonic = 1 << 7,
    VmGenerationCounterPresent = 1 << 8,
}

public enum VmClockStatus : byte { Unknown = 0, Initializing = 1, Synchronized = 2, FreeRunning = 3, Unreliable = 4 }

public enum VmClockLeapIndicator : byte { None = 0, PrePositive = 1, PreNegative = 2, Positive = 3, PostPositive = 4, PostNegative = 5 }

public enum VmClockCounter : byte { ArmVirtualCounter = 0, X86Tsc = 1, Invalid = 0xFF }
