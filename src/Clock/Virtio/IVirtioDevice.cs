namespace Sync.Clock.Virtio;

/// <summary>
/// A virtio device's logic, independent of the transport (vhost-user, or in-memory for simulate and tests).
/// The transport walks descriptor chains and hands each request's device-readable bytes in and the
/// device-writable buffer out; the device answers with the number of bytes it wrote (the used length).
/// </summary>
public interface IVirtioDevice
{
    uint DeviceId { get; }
    ulong DeviceFeatures { get; }
    int QueueCount { get; }

    void SetDriverFeatures(ulong negotiated);

    /// <summary>Handle one request from a driver-to-device queue; returns the used length written.</summary>
    int ProcessRequest(int queueIndex, ReadOnlySpan<byte> deviceReadable, Span<byte> deviceWritable);

    /// <summary>Raised (from any thread) when the device has a message for a device-to-driver queue (alarmq).</summary>
    event Action<int>? NotificationPending;

    /// <summary>Fill one driver-posted buffer of an event queue with a pending message, if any.</summary>
    bool TryWriteNotification(int queueIndex, Span<byte> deviceWritable, out int written);

    /// <summary>Device reset (driver status 0, RESET_DEVICE, or a new connection).</summary>
    void Reset();
}
