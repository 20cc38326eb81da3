using System.Buffers.Binary;
using Sync.Clock.Virtio;

namespace Sync.TestSupport;

/// <summary>
/// A seeded hostile driver for <see cref="SplitVirtqueue"/>: builds random rings over <see cref="ArrayGuestMemory"/>
/// (random sizes, layouts, descriptor tables with loops, bad indices, buffers outside memory, nested and malformed
/// indirect tables, random avail indices and event fields), runs the device side and checks its invariants:
/// nothing throws, used entries are in order with ids below the ring size and lengths within the writable space,
/// the device only sees requests within its limits. Used by the unit tests and bench/VirtqueueFuzz.
/// </summary>
public sealed class SplitVirtqueueFuzzer
{
    private const int MemoryBytes = 32 * 1024;

    // Rings live in the first 8 KiB, buffers and indirect tables point into the rest, so a used entry the
    // device wrote is still there to check (a driver pointing buffers at its own rings only hurts itself).
    private const int RingAreaBytes = 8 * 1024;
    private const int DataAreaStart = 12 * 1024;
    private readonly Random _random;
    private readonly FuzzDevice _device;
    private readonly ArrayGuestMemory[] _memories = [new(MemoryBytes), new(MemoryBytes, 0x1000)];

    public SplitVirtqueueFuzzer(int seed)
    {
        _random = new Random(seed);
        _device = new FuzzDevice(_random);
    }

    public long Cases { get; private set; }
    public long ChainsCompleted { get; private set; }
    public long ChainsRejected { get; private set; }
    public long QueuesBroken { get; private set; }
    public long NotificationsRequested { get; private set; }
    public long EventBuffersHeld { get; private set; }
    public long DeviceCalls => _device.Calls;
    public Dictionary<ChainRejection, long> RejectionsByReason { get; } = new();

    /// <summary>Runs one random case; throws <see cref="InvalidOperationException"/> if an invariant is violated.</summary>
    public void RunCase()
    {
        Cases++;
        var memory = _memories[_random.Next(4) == 0 ? 1 : 0];
        ulong memoryBase = memory.BaseAddress;
        if (_random.Next(4) == 0)
        {
            _random.NextBytes(memory.Bytes);
        }
        else
        {
            memory.Bytes.AsSpan().Clear();
        }
        ushort size = (ushort)(1 << _random.Next(0, 9));
        var layout = RandomLayout(memoryBase, size);
        var options = new SplitVirtqueueOptions
        {
            EventIndex = _random.Next(2) == 0,
            IndirectDescriptors = _random.Next(3) != 0,
            MaxRequestBytes = _random.Next(4) == 0 ? _random.Next(0, 64) : 4096,
            MaxResponseBytes = _random.Next(4) == 0 ? _random.Next(0, 64) : 4096,
            MaxChainsPerPass = _random.Next(4) == 0 ? _random.Next(1, 8) : 256,
        };
        _device.MaxRequestBytes = options.MaxRequestBytes;
        bool ringsInMemory = layout.IsValid
            && memory.TryGetSpan(layout.DescriptorTableAddress, layout.DescriptorTableBytes, out _)
            && memory.TryGetSpan(layout.AvailRingAddress, layout.AvailRingBytes, out _)
            && memory.TryGetSpan(layout.UsedRingAddress, layout.UsedRingBytes, out _);
        bool ringsDisjoint = ringsInMemory && Disjoint(layout);
        if (ringsInMemory)
        {
            FillRings(memory, layout, memoryBase);
        }
        ushort startAvail = (ushort)_random.Next(0, 65536);
        if (ringsInMemory && _random.Next(3) != 0)
        {
            // Most cases: the driver's idx is a few entries ahead of where the device starts.
            SetU16(memory, layout.AvailRingAddress + 2, (ushort)(startAvail + _random.Next(0, size + 2)));
            SetU16(memory, layout.UsedRingAddress + 2, startAvail);
        }
        var queue = new SplitVirtqueue(memory, layout, options, startAvail);
        ushort usedStart = ringsInMemory ? GetU16(memory, layout.UsedRingAddress + 2) : (ushort)0;
        int passes = _random.Next(1, 4);
        int usedTotal = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            _device.PendingNotifications = _random.Next(3);
            var result = queue.Process(_device, _random.Next(2));
            Check(result.Completed >= 0 && result.Rejected >= 0, "negative counts");
            if (result.NotifyDriver)
            {
                NotificationsRequested++;
                Check(result.UsedAdded > 0, "notify without used entries");
            }
            ChainsCompleted += result.Completed;
            ChainsRejected += result.Rejected;
            if (result.Rejected > 0)
            {
                RejectionsByReason[queue.LastRejection] = RejectionsByReason.GetValueOrDefault(queue.LastRejection) + result.Rejected;
            }
            if (ringsDisjoint)
            {
                CheckUsedEntries(memory, layout, options, (ushort)(usedStart + usedTotal), result.UsedAdded);
            }
            usedTotal += result.UsedAdded;
            Check((ushort)(queue.NextAvailIndex - startAvail) == (ushort)usedTotal, "avail progress differs from used entries");
            Check(result.UsedAdded <= options.MaxChainsPerPass, "more chains taken in a pass than its budget");
            if (ringsInMemory && _random.Next(2) == 0)
            {
                MutateRing(memory, layout, memoryBase);
            }
        }
        if (queue.IsBroken)
        {
            QueuesBroken++;
        }
        else if (ringsInMemory && _device.HeldLastCall)
        {
            EventBuffersHeld++;
        }
    }

    private void CheckUsedEntries(ArrayGuestMemory memory, SplitVirtqueueLayout layout, SplitVirtqueueOptions options, ushort firstUsed, int count)
    {
        ushort usedIndex = GetU16(memory, layout.UsedRingAddress + 2);
        Check(usedIndex == (ushort)(firstUsed + count), $"used.idx {usedIndex} != {firstUsed} + {count}");
        for (int i = 0; i < count; i++)
        {
            ulong element = layout.UsedRingAddress + 4 + 8ul * (ushort)((firstUsed + i) & (layout.Size - 1));
            uint id = GetU32(memory, element);
            uint length = GetU32(memory, element + 4);
            Check(id < layout.Size, $"used id {id} >= size {layout.Size}");
            Check(length <= (uint)options.MaxResponseBytes, $"used length {length} > {options.MaxResponseBytes}");
        }
    }

    private static bool Disjoint(SplitVirtqueueLayout layout)
    {
        static bool Apart(ulong a, uint aLength, ulong b, uint bLength) => a + aLength <= b || b + bLength <= a;
        return Apart(layout.DescriptorTableAddress, layout.DescriptorTableBytes, layout.AvailRingAddress, layout.AvailRingBytes)
            && Apart(layout.DescriptorTableAddress, layout.DescriptorTableBytes, layout.UsedRingAddress, layout.UsedRingBytes)
            && Apart(layout.AvailRingAddress, layout.AvailRingBytes, layout.UsedRingAddress, layout.UsedRingBytes);
    }

    private SplitVirtqueueLayout RandomLayout(ulong memoryBase, ushort size)
    {
        switch (_random.Next(10))
        {
            case 0:
                // Anything at all: misaligned, outside memory, overflowing.
                return new SplitVirtqueueLayout((ushort)_random.Next(0, 65536), RandomU64(), RandomU64(), RandomU64());
            case 1:
                // Rings overlapping each other.
                ulong shared = memoryBase + (ulong)_random.Next(0, MemoryBytes / 16) * 16;
                return new SplitVirtqueueLayout(size, shared, shared + 16, shared + 16);
            default:
                var contiguous = SplitVirtqueueLayout.Contiguous(0, size);
                ulong room = (ulong)RingAreaBytes - contiguous.ContiguousBytes;
                ulong start = memoryBase + ((ulong)_random.NextInt64(0, (long)room) & ~15ul);
                return SplitVirtqueueLayout.Contiguous(start, size);
        }
    }

    private void FillRings(ArrayGuestMemory memory, SplitVirtqueueLayout layout, ulong memoryBase)
    {
        for (int i = 0; i < layout.Size; i++)
        {
            WriteRandomDescriptor(memory, layout.DescriptorTableAddress + (ulong)i * 16, layout.Size, memoryBase);
        }
        for (int i = 0; i < layout.Size; i++)
        {
            ushort head = _random.Next(20) == 0 ? (ushort)_random.Next(0, 65536) : (ushort)_random.Next(0, layout.Size);
            SetU16(memory, layout.AvailRingAddress + 4 + 2ul * (ulong)i, head);
        }
        SetU16(memory, layout.AvailRingAddress, (ushort)_random.Next(0, 2));
        SetU16(memory, layout.AvailRingAddress + 4 + 2ul * layout.Size, (ushort)_random.Next(0, 65536));
        SetU16(memory, layout.AvailRingAddress + 2, (ushort)_random.Next(0, 65536));
        SetU16(memory, layout.UsedRingAddress + 2, (ushort)_random.Next(0, 65536));
    }

    private void MutateRing(ArrayGuestMemory memory, SplitVirtqueueLayout layout, ulong memoryBase)
    {
        int index = _random.Next(0, layout.Size);
        WriteRandomDescriptor(memory, layout.DescriptorTableAddress + (ulong)index * 16, layout.Size, memoryBase);
        ushort availIndex = GetU16(memory, layout.AvailRingAddress + 2);
        SetU16(memory, layout.AvailRingAddress + 2, (ushort)(availIndex + _random.Next(0, 3)));
    }

    private void WriteRandomDescriptor(ArrayGuestMemory memory, ulong at, ushort size, ulong memoryBase)
    {
        ulong address;
        uint length;
        ushort flags;
        int kind = _random.Next(20);
        if (kind == 0)
        {
            address = RandomU64();
            length = (uint)_random.NextInt64(0, 1L << 32);
        }
        else if (kind == 1)
        {
            // Indirect table: point at a (random) table somewhere in memory, sometimes filled with plausible entries.
            length = (uint)(_random.Next(0, 9) * 16 + (_random.Next(8) == 0 ? _random.Next(1, 16) : 0));
            address = memoryBase + (ulong)_random.Next(DataAreaStart, MemoryBytes - 256) & ~15ul;
            for (int i = 0; i < length / 16 && memory.TryGetSpan(address + (ulong)i * 16, 16, out _); i++)
            {
                WritePlausibleDescriptor(memory, address + (ulong)i * 16, (ushort)Math.Max(1, length / 16), memoryBase, allowIndirect: true);
            }
            flags = (ushort)(VirtqueueFlags.DescriptorIndirect | (_random.Next(6) == 0 ? VirtqueueFlags.DescriptorNext : 0));
            Store(memory, at, address, length, flags, (ushort)_random.Next(0, size));
            return;
        }
        else
        {
            WritePlausibleDescriptor(memory, at, size, memoryBase, allowIndirect: false);
            return;
        }
        flags = (ushort)_random.Next(0, 8);
        Store(memory, at, address, length, flags, (ushort)_random.Next(0, 65536));
    }

    private void WritePlausibleDescriptor(ArrayGuestMemory memory, ulong at, ushort tableEntries, ulong memoryBase, bool allowIndirect)
    {
        uint length = (uint)_random.Next(0, 48);
        ulong address = memoryBase + (ulong)_random.Next(DataAreaStart, MemoryBytes + 64);
        ushort flags = 0;
        if (_random.Next(2) == 0)
        {
            flags |= VirtqueueFlags.DescriptorNext;
        }
        if (_random.Next(2) == 0)
        {
            flags |= VirtqueueFlags.DescriptorWrite;
        }
        if (allowIndirect && _random.Next(12) == 0)
        {
            flags |= VirtqueueFlags.DescriptorIndirect;
        }
        ushort next = _random.Next(10) == 0 ? (ushort)_random.Next(0, 65536) : (ushort)_random.Next(0, tableEntries);
        Store(memory, at, address, length, flags, next);
    }

    private static void Store(ArrayGuestMemory memory, ulong at, ulong address, uint length, ushort flags, ushort next)
    {
        if (memory.TryGetSpan(at, 16, out var entry))
        {
            SplitVirtqueueDriver.WriteDescriptorTo(entry, address, length, flags, next);
        }
    }

    private ulong RandomU64() => (ulong)_random.NextInt64() ^ ((ulong)_random.Next(2) << 63);

    private static void SetU16(ArrayGuestMemory memory, ulong address, ushort value)
    {
        if (memory.TryGetSpan(address, 2, out var span))
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span, value);
        }
    }

    private static ushort GetU16(ArrayGuestMemory memory, ulong address) =>
        memory.TryGetSpan(address, 2, out var span) ? BinaryPrimitives.ReadUInt16LittleEndian(span) : (ushort)0;

    private static uint GetU32(ArrayGuestMemory memory, ulong address) =>
        memory.TryGetSpan(address, 4, out var span) ? BinaryPrimitives.ReadUInt32LittleEndian(span) : 0;

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"virtqueue invariant violated: {what}");
        }
    }

    /// <summary>A device that checks what it is handed and answers with random lengths (sometimes too long, sometimes throwing).</summary>
    private sealed class FuzzDevice(Random random) : IVirtioDevice
    {
        public int MaxRequestBytes { get; set; }
        public int PendingNotifications { get; set; }
        public long Calls { get; private set; }
        public bool HeldLastCall { get; private set; }

        public uint DeviceId => 17;
        public ulong DeviceFeatures => 1;
        public int QueueCount => 2;

        public event Action<int>? NotificationPending { add { } remove { } }

        public void SetDriverFeatures(ulong negotiated)
        {
        }

        public int ProcessRequest(int queueIndex, ReadOnlySpan<byte> deviceReadable, Span<byte> deviceWritable)
        {
            Calls++;
            HeldLastCall = false;
            Check(deviceReadable.Length <= MaxRequestBytes, "request longer than the limit reached the device");
            if (random.Next(50) == 0)
            {
                throw new InvalidOperationException("device fault (expected by the fuzzer)");
            }
            int written = Math.Min(deviceWritable.Length, random.Next(0, 64));
            deviceWritable.Slice(0, written).Fill(0xA5);
            return random.Next(10) == 0 ? written + random.Next(-100, 100) : written;
        }

        public bool TryWriteNotification(int queueIndex, Span<byte> deviceWritable, out int written)
        {
            Calls++;
            if (PendingNotifications == 0)
            {
                HeldLastCall = true;
                written = 0;
                return false;
            }
            PendingNotifications--;
            written = Math.Min(deviceWritable.Length, 16);
            deviceWritable.Slice(0, written).Fill(0x5A);
            return true;
        }

        public void Reset()
        {
        }
    }
}
