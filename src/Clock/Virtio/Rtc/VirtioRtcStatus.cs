namespace Sync.Clock.Virtio.Rtc;

/// <summary>The status byte of a virtio-rtc response head.</summary>
public enum VirtioRtcStatus : byte
{
    Ok = 0,
    /// <summary>EOPNOTSUPP: unknown msg_type, unsupported hw_counter, or a request the clock does not offer.</summary>
    NotSupported = 2,
    /// <summary>ENODEV: clock_id out of range.</summary>
    NoDevice = 3,
    /// <summary>EINVAL: bad field values, or a buffer shorter than the request or the response.</summary>
    InvalidArgument = 4,
    /// <summary>EIO: anything else.</summary>
    IoError = 5,
}
