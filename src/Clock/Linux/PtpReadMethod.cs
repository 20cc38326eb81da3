using Sync.Filters.Samples;

namespace Sync.Clock.Linux;

/// <summary>The ways to read a PHC against CLOCK_REALTIME, in the order they are tried (best first).</summary>
public enum PtpReadMethod
{
    /// <summary>PTP_SYS_OFFSET_PRECISE2 (17): a hardware cross-timestamp.</summary>
    Precise2,
    /// <summary>PTP_SYS_OFFSET_PRECISE (8), the old number.</summary>
    Precise,
    /// <summary>PTP_SYS_OFFSET_EXTENDED2 (18), clockid CLOCK_REALTIME.</summary>
    Extended2,
    /// <summary>PTP_SYS_OFFSET_EXTENDED (9), the old number.</summary>
    Extended,
    /// <summary>PTP_SYS_OFFSET2 (14).</summary>
    SysOffset2,
    /// <summary>PTP_SYS_OFFSET (5), the old number.</summary>
    SysOffset,
    /// <summary>clock_gettime on the dynamic clock id between two CLOCK_REALTIME reads.</summary>
    ClockGettime,
}

public static class PtpReadMethods
{
    public static IReadOnlyList<PtpReadMethod> InPreferenceOrder { get; } =
    [
        PtpReadMethod.Precise2, PtpReadMethod.Precise, PtpReadMethod.Extended2, PtpReadMethod.Extended,
        PtpReadMethod.SysOffset2, PtpReadMethod.SysOffset, PtpReadMethod.ClockGettime,
    ];

    public static ReadingMethod ToReadingMethod(this PtpReadMethod method) => method switch
    {
        PtpReadMethod.Precise2 or PtpReadMethod.Precise => ReadingMethod.Precise,
        PtpReadMethod.Extended2 or PtpReadMethod.Extended => ReadingMethod.Extended,
        PtpReadMethod.SysOffset2 or PtpReadMethod.SysOffset => ReadingMethod.Basic,
        _ => ReadingMethod.ClockGettime,
    };

    /// <summary>The kernel's name for the call (ioctl name, or clock_gettime).</summary>
    public static string CallName(this PtpReadMethod method) => method switch
    {
        PtpReadMethod.Precise2 => "PTP_SYS_OFFSET_PRECISE2",
        PtpReadMethod.Precise => "PTP_SYS_OFFSET_PRECISE",
        PtpReadMethod.Extended2 => "PTP_SYS_OFFSET_EXTENDED2",
        PtpReadMethod.Extended => "PTP_SYS_OFFSET_EXTENDED",
        PtpReadMethod.SysOffset2 => "PTP_SYS_OFFSET2",
        PtpReadMethod.SysOffset => "PTP_SYS_OFFSET",
        _ => "clock_gettime(dynamic clock id)",
    };
}
