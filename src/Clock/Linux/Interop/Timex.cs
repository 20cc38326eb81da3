using System.Runtime.InteropServices;

namespace Sync.Clock.Linux.Interop;

/// <summary>struct timex of glibc/Linux on x86_64 and arm64 (208 B). TimexLayoutTests compares it with the C compiler.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct Timex
{
    public const int Size = 208;
    [FieldOffset(0)] public uint Modes;
    [FieldOffset(8)] public long Offset;
    /// <summary>ppm scaled by 2^16.</summary>
    [FieldOffset(16)] public long Freq;
    /// <summary>µs.</summary>
    [FieldOffset(24)] public long MaxError;
    /// <summary>µs.</summary>
    [FieldOffset(32)] public long EstError;
    [FieldOffset(40)] public int Status;
    /// <summary>PLL time constant; with ADJ_TAI, the TAI-UTC offset to set.</summary>
    [FieldOffset(48)] public long Constant;
    [FieldOffset(56)] public long Precision;
    [FieldOffset(64)] public long Tolerance;
    [FieldOffset(72)] public long TimeSeconds;
    /// <summary>µs, or ns with ADJ_NANO / STA_NANO.</summary>
    [FieldOffset(80)] public long TimeFraction;
    /// <summary>µs per tick at USER_HZ (nominal 10000).</summary>
    [FieldOffset(88)] public long Tick;
    [FieldOffset(96)] public long PpsFreq;
    [FieldOffset(104)] public long Jitter;
    [FieldOffset(112)] public int Shift;
    [FieldOffset(120)] public long Stabil;
    [FieldOffset(128)] public long JitCnt;
    [FieldOffset(136)] public long CalCnt;
    [FieldOffset(144)] public long ErrCnt;
    [FieldOffset(152)] public long StbCnt;
    [FieldOffset(160)] public int Tai;
}

/// <summary>timex.modes bits and status bits (linux/timex.h).</summary>
public static class TimexFlags
{
    public const uint AdjOffset = 0x0001;
    public const uint AdjFrequency = 0x0002;
    public const uint AdjMaxError = 0x0004;
    public const uint AdjEstError = 0x0008;
    public const uint AdjStatus = 0x0010;
    public const uint AdjTimeConst = 0x0020;
    public const uint AdjTai = 0x0080;
    public const uint AdjSetOffset = 0x0100;
    public const uint AdjMicro = 0x1000;
    public const uint AdjNano = 0x2000;
    public const uint AdjTick = 0x4000;

    public const int StaPll = 0x0001;
    public const int StaPpsFreq = 0x0002;
    public const int StaPpsTime = 0x0004;
    public const int StaFll = 0x0008;
    public const int StaIns = 0x0010;
    public const int StaDel = 0x0020;
    public const int StaUnsync = 0x0040;
    public const int StaFreqHold = 0x0080;
    public const int StaNano = 0x2000;
    public const int StaMode = 0x4000;

    /// <summary>Bits the kernel alone sets (STA_RONLY): writes ignore them.</summary>
    public const int StaReadOnly = 0x0100 | 0x0200 | 0x0400 | 0x0800 | 0x1000 | StaNano | StaMode | 0x8000;

    public static string DescribeModes(uint modes)
    {
        var names = new List<string>();
        void Add(uint bit, string name) { if ((modes & bit) != 0) names.Add(name); }
        Add(AdjOffset, "ADJ_OFFSET"); Add(AdjFrequency, "ADJ_FREQUENCY"); Add(AdjMaxError, "ADJ_MAXERROR");
        Add(AdjEstError, "ADJ_ESTERROR"); Add(AdjStatus, "ADJ_STATUS"); Add(AdjTimeConst, "ADJ_TIMECONST");
        Add(AdjTai, "ADJ_TAI"); Add(AdjSetOffset, "ADJ_SETOFFSET"); Add(AdjMicro, "ADJ_MICRO");
        Add(AdjNano, "ADJ_NANO"); Add(AdjTick, "ADJ_TICK");
        return names.Count == 0 ? "0" : string.Join('|', names);
    }
}
