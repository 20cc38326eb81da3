using System.Buffers.Binary;
using System.Diagnostics;
using Sync.Clock.Virtio;
using Sync.Clock.Virtio.Rtc;
using Sync.Daemon.Telemetry;

namespace Sync.Daemon.Serving;

/// <summary>
/// A device decorator that counts every request by type and status and times its service. Disposing it disposes
/// the inner device (its alarm timer): the server disposes a connection's device when the connection ends.
/// </summary>
public sealed class MeteredVirtioDevice(IVirtioDevice inner, ServeMetrics metrics) : IVirtioDevice, IPersistentVirtioDevice, IDisposable
{
    // Persistence passes through to the inner device (virtio-rtc's alarms), so they survive a restart of serve.
    public byte[] SaveState() => inner is IPersistentVirtioDevice persistent ? persistent.SaveState() : [];
    public bool RestoreState(ReadOnlySpan<byte> state) => inner is IPersistentVirtioDevice persistent && persistent.RestoreState(state);

    public event Action? StateChanged
    {
        add { if (inner is IPersistentVirtioDevice persistent) persistent.StateChanged += value; }
        remove { if (inner is IPersistentVirtioDevice persistent) persistent.StateChanged -= value; }
    }

    /// <summary>The device this decorator meters.</summary>
    public IVirtioDevice Inner => inner;

    public void Dispose() => (inner as IDisposable)?.Dispose();

    public uint DeviceId => inner.DeviceId;
    public ulong DeviceFeatures => inner.DeviceFeatures;
    public int QueueCount => inner.QueueCount;

    public event Action<int>? NotificationPending
    {
        add => inner.NotificationPending += value;
        remove => inner.NotificationPending -= value;
    }

    public void SetDriverFeatures(ulong negotiated) => inner.SetDriverFeatures(negotiated);

    public int ProcessRequest(int queueIndex, ReadOnlySpan<byte> deviceReadable, Span<byte> deviceWritable)
    {
        var start = Stopwatch.GetTimestamp();
        var used = inner.ProcessRequest(queueIndex, deviceReadable, deviceWritable);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var type = deviceReadable.Length >= 2
            ? VirtioRtcNames.RequestLabel((VirtioRtcMessageType)BinaryPrimitives.ReadUInt16LittleEndian(deviceReadable))
            : "short";
        var status = used >= 1 ? VirtioRtcNames.StatusLabel((VirtioRtcStatus)deviceWritable[0]) : "none";
        metrics.RecordRequest(type, status, seconds);
        return used;
    }

    public bool TryWriteNotification(int queueIndex, Span<byte> deviceWritable, out int written)
    {
        var wrote = inner.TryWriteNotification(queueIndex, deviceWritable, out written);
        if (wrote && written >= 10)
            metrics.AlarmFired($"clock{BinaryPrimitives.ReadUInt16LittleEndian(deviceWritable[8..])}");
        return wrote;
    }

    public void Reset() => inner.Reset();
}
