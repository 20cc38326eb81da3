using System.Collections.Concurrent;
using Sync.Clock.Virtio;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>
/// Test device: queue 0 answers a request with status byte 0 followed by the request bytes (capped by the
/// writable space); queue 1 is an event queue filled from <see cref="Raise"/>.
/// </summary>
internal sealed class EchoDevice : IVirtioDevice, IDisposable
{
    /// <summary>Set when the server released this device (its connection ended).</summary>
    public volatile bool Disposed;

    public void Dispose() => Disposed = true;

    private readonly ConcurrentQueue<byte[]> _events = new();

    public uint DeviceId => 17;
    public ulong DeviceFeatures => 1;
    public int QueueCount => 2;
    public ulong NegotiatedFeatures { get; private set; }
    public int ResetCount { get; private set; }
    public int RequestCount;
    /// <summary>Managed id of the thread that served the last request.</summary>
    public int LastThreadId;
    /// <summary>Kernel thread id (gettid) of the thread that served the last request.</summary>
    public int LastNativeThreadId;
    public Func<int, ReadOnlySpan<byte>, int>? Fault { get; set; }

    public event Action<int>? NotificationPending;

    public void SetDriverFeatures(ulong negotiated) => NegotiatedFeatures = negotiated;

    public int ProcessRequest(int queueIndex, ReadOnlySpan<byte> deviceReadable, Span<byte> deviceWritable)
    {
        Interlocked.Increment(ref RequestCount);
        LastThreadId = Environment.CurrentManagedThreadId;
        LastNativeThreadId = Sync.Clock.Linux.Interop.LibC.GetTid();
        if (deviceReadable.Length > 0 && deviceReadable[0] == 0xEE)
        {
            throw new InvalidOperationException("echo device asked to fail");
        }
        if (deviceWritable.IsEmpty)
        {
            return 0;
        }
        deviceWritable[0] = 0;
        int copied = Math.Min(deviceReadable.Length, deviceWritable.Length - 1);
        deviceReadable.Slice(0, copied).CopyTo(deviceWritable.Slice(1));
        return 1 + copied;
    }

    public void Raise(byte[] message)
    {
        _events.Enqueue(message);
        NotificationPending?.Invoke(1);
    }

    public bool TryWriteNotification(int queueIndex, Span<byte> deviceWritable, out int written)
    {
        if (queueIndex != 1 || !_events.TryDequeue(out var message))
        {
            written = 0;
            return false;
        }
        written = Math.Min(message.Length, deviceWritable.Length);
        message.AsSpan(0, written).CopyTo(deviceWritable);
        return true;
    }

    public void Reset() => ResetCount++;
}
