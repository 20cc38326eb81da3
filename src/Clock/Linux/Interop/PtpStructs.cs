using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sync.Clock.Linux.Interop;

// The structs of linux/ptp_clock.h, laid out as on 64-bit Linux. PtpLayoutTests compares them with the C compiler.

/// <summary>struct ptp_clock_time (16 B): s64 sec; u32 nsec; u32 reserved.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct PtpClockTime
{
    [FieldOffset(0)] public long Seconds;
    [FieldOffset(8)] public uint Nanoseconds;
    [FieldOffset(12)] public uint Reserved;

    public static PtpClockTime FromNanoseconds(long ns)
    {
        var seconds = Math.DivRem(ns, 1_000_000_000L, out var rest);
        if (rest < 0) { seconds--; rest += 1_000_000_000L; }
        return new PtpClockTime { Seconds = seconds, Nanoseconds = (uint)rest };
    }

    public readonly bool IsValid => Nanoseconds < 1_000_000_000u && Seconds is > -9_223_372_035 and < 9_223_372_035;
    public readonly long TotalNanoseconds => Seconds * 1_000_000_000L + Nanoseconds;
}

/// <summary>struct ptp_clock_caps (80 B). Kernels 6.7+ name rsv[0] max_phase_adj.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct PtpClockCaps
{
    public const int Size = 80;
    [FieldOffset(0)] public int MaxAdjPpb;
    [FieldOffset(4)] public int NAlarm;
    [FieldOffset(8)] public int NExtTs;
    [FieldOffset(12)] public int NPerOut;
    [FieldOffset(16)] public int Pps;
    [FieldOffset(20)] public int NPins;
    [FieldOffset(24)] public int CrossTimestamping;
    [FieldOffset(28)] public int AdjustPhase;
    [FieldOffset(32)] public int MaxPhaseAdj;
}

/// <summary>struct ptp_sys_offset (832 B): n_samples, rsv[3], ptp_clock_time ts[2 * 25 + 1].</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct PtpSysOffset
{
    public const int Size = 832;
    public const int TimestampsOffset = 16;
    [FieldOffset(0)] public uint NSamples;
    [FieldOffset(4)] public uint Reserved0;
    [FieldOffset(8)] public uint Reserved1;
    [FieldOffset(12)] public uint Reserved2;
    [FieldOffset(TimestampsOffset)] public PtpInterleavedTimes Timestamps;
}

/// <summary>struct ptp_sys_offset_extended (1216 B): n_samples, clockid (6.12+; reserved before), rsv[2], ts[25][3].</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct PtpSysOffsetExtended
{
    public const int Size = 1216;
    public const int TimestampsOffset = 16;
    [FieldOffset(0)] public uint NSamples;
    [FieldOffset(4)] public int ClockId;
    [FieldOffset(8)] public uint Reserved0;
    [FieldOffset(12)] public uint Reserved1;
    [FieldOffset(TimestampsOffset)] public PtpTripleTimes Timestamps;
}

/// <summary>struct ptp_sys_offset_precise (64 B): device, sys_realtime, sys_monoraw, rsv[4].</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct PtpSysOffsetPrecise
{
    public const int Size = 64;
    [FieldOffset(0)] public PtpClockTime Device;
    [FieldOffset(16)] public PtpClockTime SysRealtime;
    [FieldOffset(32)] public PtpClockTime SysMonoRaw;
}

/// <summary>ptp_clock_time[2 * PTP_MAX_SAMPLES + 1].</summary>
[InlineArray(2 * PtpLimits.MaxSamples + 1)]
internal struct PtpInterleavedTimes
{
    private PtpClockTime _first;
}

/// <summary>ptp_clock_time[PTP_MAX_SAMPLES][3], flattened.</summary>
[InlineArray(3 * PtpLimits.MaxSamples)]
internal struct PtpTripleTimes
{
    private PtpClockTime _first;
}

internal static class PtpLimits
{
    /// <summary>PTP_MAX_SAMPLES.</summary>
    public const int MaxSamples = 25;
}

/// <summary>The PTP ioctl requests used, current ("2") and old numbers.</summary>
internal static class PtpRequests
{
    private const char Magic = '=';
    public static readonly uint GetCaps = IoctlRequest.Read(Magic, 1, PtpClockCaps.Size);
    public static readonly uint SysOffset = IoctlRequest.Write(Magic, 5, PtpSysOffset.Size);
    public static readonly uint SysOffsetPrecise = IoctlRequest.ReadWrite(Magic, 8, PtpSysOffsetPrecise.Size);
    public static readonly uint SysOffsetExtended = IoctlRequest.ReadWrite(Magic, 9, PtpSysOffsetExtended.Size);
    public static readonly uint GetCaps2 = IoctlRequest.Read(Magic, 10, PtpClockCaps.Size);
    public static readonly uint SysOffset2 = IoctlRequest.Write(Magic, 14, PtpSysOffset.Size);
    public static readonly uint SysOffsetPrecise2 = IoctlRequest.ReadWrite(Magic, 17, PtpSysOffsetPrecise.Size);
    public static readonly uint SysOffsetExtended2 = IoctlRequest.ReadWrite(Magic, 18, PtpSysOffsetExtended.Size);

    public static string Name(uint request) =>
        request == GetCaps ? "PTP_CLOCK_GETCAPS"
        : request == GetCaps2 ? "PTP_CLOCK_GETCAPS2"
        : request == SysOffset ? "PTP_SYS_OFFSET"
        : request == SysOffset2 ? "PTP_SYS_OFFSET2"
        : request == SysOffsetPrecise ? "PTP_SYS_OFFSET_PRECISE"
        : request == SysOffsetPrecise2 ? "PTP_SYS_OFFSET_PRECISE2"
        : request == SysOffsetExtended ? "PTP_SYS_OFFSET_EXTENDED"
        : request == SysOffsetExtended2 ? "PTP_SYS_OFFSET_EXTENDED2"
        : $"ioctl 0x{request:X8}";
}
