namespace Sync.Clock.Virtio;

/// <summary>
/// A guest driver's request queue in process: a real split virtqueue in <see cref="ArrayGuestMemory"/>. Submit
/// places a readable request descriptor and a writable response descriptor, makes the chain available, "kicks"
/// (runs the device-side <see cref="SplitVirtqueue"/> synchronously) and reads the used ring. So
/// `virtsyncd simulate` exercises the same ring code as the vhost-user server. Thread-safe (one request at a time).
/// </summary>
public sealed class InMemoryVirtqueueChannel : IVirtioRequestChannel
{
    public const int MaxRequestBytes = 4096;
    public const int MaxResponseBytes = 4096;
    private const ushort QueueSize = 8;

    private readonly object _gate = new();
    private readonly IVirtioDevice _device;
    private readonly int _queueIndex;
    private readonly ArrayGuestMemory _memory;
    private readonly SplitVirtqueueDriver _driver;
    private readonly SplitVirtqueue _deviceQueue;
    private readonly ulong _requestAddress;
    private readonly ulong _responseAddress;

    public InMemoryVirtqueueChannel(IVirtioDevice device, int queueIndex = 0, bool eventIndex = true)
    {
        _device = device;
        _queueIndex = queueIndex;
        var layout = SplitVirtqueueLayout.Contiguous(0, QueueSize);
        _requestAddress = (layout.ContiguousBytes + 15) & ~15ul;
        _responseAddress = _requestAddress + MaxRequestBytes;
        _memory = new ArrayGuestMemory((int)(_responseAddress + MaxResponseBytes));
        _driver = new SplitVirtqueueDriver(_memory, layout);
        _deviceQueue = new SplitVirtqueue(_memory, layout, new SplitVirtqueueOptions { EventIndex = eventIndex });
    }

    /// <summary>Requests the device answered (for diagnostics).</summary>
    public long Completed => _deviceQueue.TotalCompleted;

    public int Submit(ReadOnlySpan<byte> request, Span<byte> response)
    {
        if (request.IsEmpty || request.Length > MaxRequestBytes)
        {
            throw new ArgumentException($"request must be 1..{MaxRequestBytes} bytes", nameof(request));
        }
        if (response.Length > MaxResponseBytes)
        {
            throw new ArgumentException($"response buffer must be at most {MaxResponseBytes} bytes", nameof(response));
        }
        lock (_gate)
        {
            request.CopyTo(_memory.Bytes.AsSpan((int)_requestAddress));
            _memory.Bytes.AsSpan((int)_responseAddress, response.Length).Clear();
            ushort head = (ushort)((_driver.AvailIndex * 2) & (QueueSize - 1));
            ushort second = (ushort)(head + 1);
            _driver.WriteDescriptor(head, _requestAddress, (uint)request.Length, VirtqueueFlags.DescriptorNext, second);
            _driver.WriteDescriptor(second, _responseAddress, (uint)response.Length, VirtqueueFlags.DescriptorWrite, 0);
            _driver.MakeAvailable(head);
            _deviceQueue.Process(_device, _queueIndex);
            if (!_driver.TryTakeUsed(out uint id, out uint length) || id != head)
            {
                throw new InvalidOperationException(
                    $"the device queue returned no used entry for the request ({_deviceQueue.BrokenReason ?? _deviceQueue.LastRejection.ToString()})");
            }
            int usedLength = (int)Math.Min(length, (uint)response.Length);
            _memory.Bytes.AsSpan((int)_responseAddress, usedLength).CopyTo(response);
            return usedLength;
        }
    }
}
