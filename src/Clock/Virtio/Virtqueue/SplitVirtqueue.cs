using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Sync.Clock.Virtio;

/// <summary>
/// The device side of one split virtqueue (virtio 1.x). Everything in guest memory is guest-controlled:
/// every descriptor is read once into locals, every buffer is bounds-checked through <see cref="IGuestMemory"/>,
/// chains are bounded by the queue (or indirect table) size, nested indirect tables and readable-after-writable
/// parts are refused. A malformed chain is answered with used length 0; a ring that cannot be used at all
/// (rings outside memory, head index out of range, avail.idx running more than Size ahead) marks the queue
/// broken ("needs reset"): it processes nothing until it is rebuilt. Nothing here throws on guest input.
///
/// Chain shape decides the handling: a chain with device-readable parts is a request
/// (<see cref="IVirtioDevice.ProcessRequest"/>); a chain with only device-writable parts is an event buffer
/// (alarmq) that is filled by <see cref="IVirtioDevice.TryWriteNotification"/> when the device has a message,
/// and left on the ring (in order) while it has none.
/// Not thread-safe: one thread processes a queue.
/// </summary>
public sealed class SplitVirtqueue
{
    private readonly IGuestMemory _memory;
    private readonly SplitVirtqueueLayout _layout;
    private readonly SplitVirtqueueOptions _options;
    private readonly byte[] _request;
    private readonly byte[] _response;
    private readonly List<(ulong Address, uint Length)> _writable = new();
    private ushort _nextAvail;
    private ushort _nextUsed;
    private bool _usedIndexLoaded;

    public SplitVirtqueue(IGuestMemory memory, SplitVirtqueueLayout layout, SplitVirtqueueOptions options, ushort nextAvailIndex = 0)
    {
        _memory = memory;
        _layout = layout;
        _options = options;
        _nextAvail = nextAvailIndex;
        _request = new byte[Math.Max(0, options.MaxRequestBytes)];
        _response = new byte[Math.Max(0, options.MaxResponseBytes)];
        if (!layout.IsValid)
        {
            MarkBroken("ring layout invalid (size not a power of two up to 32768, or misaligned ring)");
        }
    }

    public SplitVirtqueueLayout Layout => _layout;

    /// <summary>Next avail ring index the device will take (what GET_VRING_BASE reports).</summary>
    public ushort NextAvailIndex => _nextAvail;

    public bool IsBroken => BrokenReason is not null;
    public string? BrokenReason { get; private set; }

    public long TotalCompleted { get; private set; }
    public long TotalRejected { get; private set; }
    public ChainRejection LastRejection { get; private set; }

    /// <summary>Takes available chains, lets <paramref name="device"/> answer them, publishes used entries.</summary>
    public VirtqueuePassResult Process(IVirtioDevice device, int queueIndex)
    {
        if (IsBroken || !TryGetRings(out var table, out var avail, out var used))
        {
            return default;
        }
        if (!_usedIndexLoaded)
        {
            _nextUsed = ReadIndex(used, 2);
            _usedIndexLoaded = true;
        }
        ushort usedBefore = _nextUsed;
        int completed = 0, rejected = 0, taken = 0;
        bool morePending = false;
        while (true)
        {
            ushort availIndex = ReadIndex(avail, 2);
            ushort pending = (ushort)(availIndex - _nextAvail);
            if (pending > _layout.Size)
            {
                MarkBroken($"avail.idx {availIndex} is {pending} entries ahead of {_nextAvail} on a ring of {_layout.Size}");
                break;
            }
            bool held = false;
            for (; pending > 0; pending--)
            {
                if (taken >= _options.MaxChainsPerPass)
                {
                    morePending = true;
                    break;
                }
                int slot = 4 + 2 * (_nextAvail & (_layout.Size - 1));
                ushort head = BinaryPrimitives.ReadUInt16LittleEndian(avail.Slice(slot, 2));
                if (head >= _layout.Size)
                {
                    MarkBroken($"avail ring entry {head} out of range for a ring of {_layout.Size}");
                    break;
                }
                var outcome = HandleChain(device, queueIndex, table, head, out int usedLength);
                if (outcome == ChainOutcome.Held)
                {
                    held = true;
                    break;
                }
                PublishUsed(used, head, (uint)usedLength);
                _nextAvail++;
                taken++;
                if (outcome == ChainOutcome.Rejected)
                {
                    rejected++;
                }
                else
                {
                    completed++;
                }
            }
            if (IsBroken || !_options.EventIndex)
            {
                break;
            }
            // Tell the driver where to kick next, then look again: it may have added chains meanwhile.
            WriteIndex(used, 4 + 8 * _layout.Size, _nextAvail);
            if (held || morePending)
            {
                break;
            }
            Interlocked.MemoryBarrier();
            if (ReadIndex(avail, 2) == _nextAvail)
            {
                break;
            }
        }
        TotalCompleted += completed;
        TotalRejected += rejected;
        bool notify = completed + rejected > 0 && DriverWantsInterrupt(avail, usedBefore);
        return new VirtqueuePassResult(completed, rejected, notify, morePending);
    }

    private enum ChainOutcome { Completed, Rejected, Held }

    private ChainOutcome HandleChain(IVirtioDevice device, int queueIndex, Span<byte> table, ushort head, out int usedLength)
    {
        usedLength = 0;
        var rejection = WalkChain(table, head, out int readableBytes, out bool hasReadable, out int writableBytes);
        if (rejection != ChainRejection.None)
        {
            LastRejection = rejection;
            return ChainOutcome.Rejected;
        }
        int responseCapacity = Math.Min(writableBytes, _response.Length);
        var response = _response.AsSpan(0, responseCapacity);
        response.Clear();
        int written;
        try
        {
            if (hasReadable || _writable.Count == 0)
            {
                written = device.ProcessRequest(queueIndex, _request.AsSpan(0, readableBytes), response);
            }
            else if (!device.TryWriteNotification(queueIndex, response, out written))
            {
                return ChainOutcome.Held;
            }
        }
        catch (Exception)
        {
            // The device is ours, but a bug in it must not take the transport (and other VMs) down.
            LastRejection = ChainRejection.DeviceFault;
            return ChainOutcome.Rejected;
        }
        written = Math.Clamp(written, 0, responseCapacity);
        Scatter(response.Slice(0, written));
        usedLength = written;
        return ChainOutcome.Completed;
    }

    /// <summary>Walks the chain from <paramref name="head"/>: copies readable parts into the request buffer, records writable parts.</summary>
    private ChainRejection WalkChain(Span<byte> mainTable, ushort head, out int readableBytes, out bool hasReadable, out int writableBytes)
    {
        readableBytes = 0;
        hasReadable = false;
        writableBytes = 0;
        _writable.Clear();
        Span<byte> table = mainTable;
        uint tableEntries = _layout.Size;
        uint hopsLeft = _layout.Size;
        uint index = head;
        bool inIndirect = false;
        bool seenWritable = false;
        while (true)
        {
            if (hopsLeft == 0)
            {
                return ChainRejection.ChainTooLong;
            }
            hopsLeft--;
            var entry = table.Slice((int)index * SplitVirtqueueLayout.DescriptorBytes, SplitVirtqueueLayout.DescriptorBytes);
            ulong address = BinaryPrimitives.ReadUInt64LittleEndian(entry);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(entry.Slice(8));
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(entry.Slice(12));
            ushort next = BinaryPrimitives.ReadUInt16LittleEndian(entry.Slice(14));

            if ((flags & VirtqueueFlags.DescriptorIndirect) != 0)
            {
                if (!_options.IndirectDescriptors)
                {
                    return ChainRejection.IndirectNotNegotiated;
                }
                if (inIndirect)
                {
                    return ChainRejection.NestedIndirect;
                }
                if ((flags & VirtqueueFlags.DescriptorNext) != 0)
                {
                    return ChainRejection.IndirectWithNext;
                }
                if (length == 0 || length % SplitVirtqueueLayout.DescriptorBytes != 0
                    || length / SplitVirtqueueLayout.DescriptorBytes > SplitVirtqueueLayout.MaxSize)
                {
                    return ChainRejection.BadIndirectLength;
                }
                if (!_memory.TryGetSpan(address, length, out table))
                {
                    return ChainRejection.IndirectTableOutsideMemory;
                }
                tableEntries = length / SplitVirtqueueLayout.DescriptorBytes;
                hopsLeft = tableEntries;
                index = 0;
                inIndirect = true;
                continue;
            }

            if (!_memory.TryGetSpan(address, length, out var buffer))
            {
                return ChainRejection.BufferOutsideMemory;
            }
            if ((flags & VirtqueueFlags.DescriptorWrite) != 0)
            {
                seenWritable = true;
                _writable.Add((address, length));
                writableBytes = (int)Math.Min((long)writableBytes + length, int.MaxValue);
            }
            else
            {
                if (seenWritable)
                {
                    return ChainRejection.ReadableAfterWritable;
                }
                if (length > _request.Length - readableBytes)
                {
                    return ChainRejection.RequestTooLarge;
                }
                buffer.CopyTo(_request.AsSpan(readableBytes));
                readableBytes += (int)length;
                hasReadable = true;
            }

            if ((flags & VirtqueueFlags.DescriptorNext) == 0)
            {
                return ChainRejection.None;
            }
            if (next >= tableEntries)
            {
                return ChainRejection.NextOutOfRange;
            }
            index = next;
        }
    }

    private void Scatter(ReadOnlySpan<byte> response)
    {
        foreach (var (address, length) in _writable)
        {
            if (response.IsEmpty)
            {
                return;
            }
            int count = (int)Math.Min(length, (uint)response.Length);
            // Checked during the walk; the memory table cannot change within a pass.
            if (!_memory.TryGetSpan(address, (uint)count, out var target))
            {
                return;
            }
            response.Slice(0, count).CopyTo(target);
            response = response.Slice(count);
        }
    }

    private void PublishUsed(Span<byte> used, ushort head, uint length)
    {
        int element = 4 + 8 * (_nextUsed & (_layout.Size - 1));
        BinaryPrimitives.WriteUInt32LittleEndian(used.Slice(element, 4), head);
        BinaryPrimitives.WriteUInt32LittleEndian(used.Slice(element + 4, 4), length);
        _nextUsed++;
        // Release: the element (and the response bytes) are visible before the new index.
        WriteIndex(used, 2, _nextUsed);
    }

    private bool DriverWantsInterrupt(Span<byte> avail, ushort usedBefore)
    {
        Interlocked.MemoryBarrier();
        if (_options.EventIndex)
        {
            ushort usedEvent = ReadIndex(avail, 4 + 2 * _layout.Size);
            return (ushort)(_nextUsed - usedEvent - 1) < (ushort)(_nextUsed - usedBefore);
        }
        return (ReadIndex(avail, 0) & VirtqueueFlags.AvailNoInterrupt) == 0;
    }

    private bool TryGetRings(out Span<byte> table, out Span<byte> avail, out Span<byte> used)
    {
        avail = default;
        used = default;
        if (!_memory.TryGetSpan(_layout.DescriptorTableAddress, _layout.DescriptorTableBytes, out table)
            || !_memory.TryGetSpan(_layout.AvailRingAddress, _layout.AvailRingBytes, out avail)
            || !_memory.TryGetSpan(_layout.UsedRingAddress, _layout.UsedRingBytes, out used))
        {
            MarkBroken("a ring lies outside guest memory");
            return false;
        }
        if (!IsHostAligned(avail, 2) || !IsHostAligned(used, 4))
        {
            MarkBroken("ring not aligned in host memory");
            return false;
        }
        return true;
    }

    private static unsafe bool IsHostAligned(Span<byte> span, int alignment)
    {
        fixed (byte* pointer = span)
        {
            return ((nuint)pointer & (nuint)(alignment - 1)) == 0;
        }
    }

    private static ushort ReadIndex(Span<byte> ring, int offset)
    {
        ushort value = Volatile.Read(ref Unsafe.As<byte, ushort>(ref ring[offset]));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    private static void WriteIndex(Span<byte> ring, int offset, ushort value)
    {
        ushort stored = BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
        Volatile.Write(ref Unsafe.As<byte, ushort>(ref ring[offset]), stored);
    }

    private void MarkBroken(string reason) => BrokenReason ??= reason;
}
