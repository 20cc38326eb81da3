namespace Sync.Clock.Virtio.Rtc;

/// <summary>
/// The one spelling of virtio-rtc's request types and statuses: the spec's names (READ, READ_CROSS, CLOCK_CAP, ...;
/// for a status, the errno it stands for) in the driver's errors, and the same in lower case as the metric labels of
/// virtsync_serve_requests_total{type, status}. The lookups allocate nothing.
/// </summary>
public static class VirtioRtcNames
{
    /// <summary>The spec's name of a request type; null for a value that is not a request.</summary>
    public static string? Request(VirtioRtcMessageType type) => type switch
    {
        VirtioRtcMessageType.Read => "READ",
        VirtioRtcMessageType.ReadCross => "READ_CROSS",
        VirtioRtcMessageType.Cfg => "CFG",
        VirtioRtcMessageType.ClockCap => "CLOCK_CAP",
        VirtioRtcMessageType.CrossCap => "CROSS_CAP",
        VirtioRtcMessageType.ReadAlarm => "READ_ALARM",
        VirtioRtcMessageType.SetAlarm => "SET_ALARM",
        VirtioRtcMessageType.SetAlarmEnabled => "SET_ALARM_ENABLED",
        _ => null,
    };

    /// <summary>The errno a status stands for ("OK" for OK); a value the spec does not define is EIO.</summary>
    public static string Status(VirtioRtcStatus status) => status switch
    {
        VirtioRtcStatus.Ok => "OK",
        VirtioRtcStatus.NotSupported => "EOPNOTSUPP",
        VirtioRtcStatus.NoDevice => "ENODEV",
        VirtioRtcStatus.InvalidArgument => "EINVAL",
        _ => "EIO",
    };

    /// <summary><see cref="Request"/> in lower case; "unknown" for a value that is not a request.</summary>
    public static string RequestLabel(VirtioRtcMessageType type) => RequestLabels.GetValueOrDefault(type, "unknown");

    /// <summary><see cref="Status"/> in lower case.</summary>
    public static string StatusLabel(VirtioRtcStatus status) => StatusLabels.GetValueOrDefault(status, "eio");

    private static readonly Dictionary<VirtioRtcMessageType, string> RequestLabels = Enum.GetValues<VirtioRtcMessageType>()
        .Where(type => Request(type) is not null)
        .ToDictionary(type => type, type => Request(type)!.ToLowerInvariant());

    private static readonly Dictionary<VirtioRtcStatus, string> StatusLabels = Enum.GetValues<VirtioRtcStatus>()
        .ToDictionary(status => status, status => Status(status).ToLowerInvariant());
}
