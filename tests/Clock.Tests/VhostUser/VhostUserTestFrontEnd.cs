using System.Buffers.Binary;
using Sync.Clock.VhostUser;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>
/// A vhost-user front end for tests, speaking like QEMU 11: memfd-backed guest memory shared by SCM_RIGHTS,
/// rings set up with front-end virtual addresses, kicks and calls through eventfds, and a driver-side split ring.
/// Guest-physical layout: memory at 0 (<see cref="MemoryBytes"/>), queue q's rings at 0x1000 + q * 0x4000,
/// request/response buffers from 0x20000.
/// </summary>
internal sealed unsafe class VhostUserTestFrontEnd : IDisposable
{
    public const int MemoryBytes = 1 << 20;
    public const ushort QueueSize = 64;
    public const int WaitMs = 5000;
    private const ulong BufferArea = 0x20000;

    private readonly int _socketFd;
    private readonly UnixStreamChannel _channel;
    private readonly int _memFd;
    private readonly byte* _memory;
    private readonly PointerGuestMemory _guestMemory;
    private readonly Dictionary<int, (SplitVirtqueueDriver Driver, int KickFd, int CallFd)> _queues = new();
    private ulong _nextBuffer = BufferArea;

    /// <param name="sealMemory">false: guest memory a hostile front end can still truncate (memfd without F_SEAL_SHRINK).</param>
    public VhostUserTestFrontEnd(string socketPath, bool sealMemory = true)
    {
        _socketFd = LibC.Socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        Span<byte> address = stackalloc byte[2 + LibC.SockaddrUnPathLength];
        int length = LibC.FillSockaddrUn(address, socketPath);
        fixed (byte* pointer = address)
        {
            if (LibC.Connect(_socketFd, pointer, (uint)length) != 0)
            {
                int errno = LibC.LastErrno;
                LibC.Close(_socketFd);
                throw new IOException($"connect to {socketPath} failed (errno {errno})");
            }
        }
        _channel = new UnixStreamChannel(_socketFd, -1, () => false);
        _memFd = GuestMemoryTests.CreateMemfd(MemoryBytes, sealMemory);
        _memory = (byte*)LibC.Mmap(0, MemoryBytes, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, _memFd, 0);
        _guestMemory = new PointerGuestMemory(_memory, MemoryBytes);
    }

    public ulong FrontEndAddress(ulong guestPhysical) => (ulong)_memory + guestPhysical;
    public int MemoryFd => _memFd;
    public int SocketFd => _socketFd;
    public IGuestMemory GuestMemory => _guestMemory;
    public Span<byte> Guest(ulong address, int length) => new(_memory + address, length);

    // ---- raw messages ----

    public bool Send(VhostUserRequest request, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default, uint flags = VhostUserHeader.Version1) =>
        SendRaw((uint)request, flags, payload, fds);

    public bool SendRaw(uint request, uint flags, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default, uint? sizeOverride = null)
    {
        var message = new byte[VhostUserHeader.Bytes + payload.Length];
        new VhostUserHeader(request, flags, sizeOverride ?? (uint)payload.Length).Write(message);
        payload.CopyTo(message.AsSpan(VhostUserHeader.Bytes));
        return _channel.SendAll(message, fds);
    }

    /// <summary>Reads one reply; fails the test if none comes within <see cref="WaitMs"/> or the server closed.</summary>
    public (VhostUserHeader Header, byte[] Payload) ReadReply()
    {
        Assert.True(WaitReadable(_socketFd, WaitMs), "no reply from the back end");
        var fds = new List<int>();
        var header = new byte[VhostUserHeader.Bytes];
        Assert.Equal(UnixStreamChannel.ReceiveStatus.Ok, _channel.ReceiveExact(header, fds));
        var parsed = VhostUserHeader.Read(header);
        var payload = new byte[parsed.Size];
        Assert.Equal(UnixStreamChannel.ReceiveStatus.Ok, _channel.ReceiveExact(payload, fds));
        Assert.Empty(fds);
        return (parsed, payload);
    }

    public ulong ReadU64Reply(VhostUserRequest request)
    {
        var (header, payload) = ReadReply();
        Assert.Equal((uint)request, header.Request);
        Assert.Equal(VhostUserHeader.Version1 | VhostUserHeader.ReplyFlag, header.Flags);
        Assert.Equal(8, payload.Length);
        return BinaryPrimitives.ReadUInt64LittleEndian(payload);
    }

    public ulong GetU64(VhostUserRequest request)
    {
        Assert.True(Send(request, []));
        return ReadU64Reply(request);
    }

    public void SetU64(VhostUserRequest request, ulong value, ReadOnlySpan<int> fds = default) =>
        Assert.True(Send(request, U64(value), fds));

    /// <summary>Sends with NEED_REPLY and returns the REPLY_ACK status (0 = success).</summary>
    public ulong SendWithAck(VhostUserRequest request, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default)
    {
        Assert.True(Send(request, payload, fds, VhostUserHeader.Version1 | VhostUserHeader.NeedReplyFlag));
        return ReadU64Reply(request);
    }

    /// <summary>True once the back end has closed the connection (within <see cref="WaitMs"/>).</summary>
    public bool IsClosedByBackEnd()
    {
        var deadline = Environment.TickCount64 + WaitMs;
        var scratch = new byte[64];
        while (Environment.TickCount64 < deadline)
        {
            if (!WaitReadable(_socketFd, (int)Math.Max(1, deadline - Environment.TickCount64)))
            {
                return false;
            }
            fixed (byte* pointer = scratch)
            {
                nint received = LibC.Read(_socketFd, pointer, (nuint)scratch.Length);
                if (received <= 0)
                {
                    return true;
                }
            }
        }
        return false;
    }

    public void ShutdownWrite() => LibC.Shutdown(_socketFd, 1);

    // ---- QEMU-like sequences ----

    public static byte[] U64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] VringState(uint index, uint value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, index);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), value);
        return bytes;
    }

    /// <summary>Two regions of the one memfd, split at <paramref name="splitAt"/> (as QEMU splits RAM around the PCI hole).</summary>
    public byte[] SplitMemTablePayload(ulong splitAt)
    {
        var bytes = new byte[8 + 2 * 32];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 2);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), splitAt);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), (ulong)_memory);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(32), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), splitAt);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(48), MemoryBytes - splitAt);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(56), (ulong)_memory + splitAt);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(64), splitAt);
        return bytes;
    }

    public byte[] MemTablePayload()
    {
        var bytes = new byte[8 + 32];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), MemoryBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), (ulong)_memory);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(32), 0);
        return bytes;
    }

    /// <summary>What QEMU 11 sends at start (vmlab.md): features, protocol features, owner, call/err fds for both queues.</summary>
    public (ulong Features, ulong ProtocolFeatures) StartLikeQemu(ulong protocolFeaturesWanted)
    {
        ulong features = GetU64(VhostUserRequest.GetFeatures);
        ulong protocol = GetU64(VhostUserRequest.GetProtocolFeatures);
        SetU64(VhostUserRequest.SetProtocolFeatures, protocol & protocolFeaturesWanted);
        Assert.True(Send(VhostUserRequest.SetOwner, []));
        Assert.Equal(features, GetU64(VhostUserRequest.GetFeatures));
        for (uint q = 0; q < 2; q++)
        {
            int call = EventFds.Create();
            int err = EventFds.Create();
            SetU64(VhostUserRequest.SetVringCall, q, [call]);
            SetU64(VhostUserRequest.SetVringErr, q, [err]);
            LibC.Close(call);
            LibC.Close(err);
        }
        return (features, protocol);
    }

    /// <summary>What QEMU 11 sends when the guest driver starts: features, memory table, then each queue's ring.</summary>
    public void DriverStartLikeQemu(ulong features, int queueCount, ulong splitMemoryAt = 0)
    {
        SetU64(VhostUserRequest.SetFeatures, features);
        Assert.True(splitMemoryAt == 0
            ? Send(VhostUserRequest.SetMemTable, MemTablePayload(), [_memFd])
            : Send(VhostUserRequest.SetMemTable, SplitMemTablePayload(splitMemoryAt), [_memFd, _memFd]));
        for (int q = 0; q < queueCount; q++)
        {
            SetUpQueue(q, QueueSize);
        }
    }

    public void SetUpQueue(int q, ushort size)
    {
        var layout = SplitVirtqueueLayout.Contiguous(0x1000 + (ulong)q * 0x4000, size);
        var driver = new SplitVirtqueueDriver(_guestMemory, layout);
        int kick = EventFds.Create();
        int call = EventFds.Create();
        Assert.True(Send(VhostUserRequest.SetVringNum, VringState((uint)q, size)));
        Assert.True(Send(VhostUserRequest.SetVringBase, VringState((uint)q, 0)));
        var address = new byte[40];
        BinaryPrimitives.WriteUInt32LittleEndian(address, (uint)q);
        BinaryPrimitives.WriteUInt64LittleEndian(address.AsSpan(8), FrontEndAddress(layout.DescriptorTableAddress));
        BinaryPrimitives.WriteUInt64LittleEndian(address.AsSpan(16), FrontEndAddress(layout.UsedRingAddress));
        BinaryPrimitives.WriteUInt64LittleEndian(address.AsSpan(24), FrontEndAddress(layout.AvailRingAddress));
        Assert.True(Send(VhostUserRequest.SetVringAddr, address));
        SetU64(VhostUserRequest.SetVringKick, (ulong)q, [kick]);
        SetU64(VhostUserRequest.SetVringCall, (ulong)q, [call]);
        Assert.True(Send(VhostUserRequest.SetVringEnable, VringState((uint)q, 1)));
        _queues[q] = (driver, kick, call);
    }

    /// <summary>QEMU at guest shutdown: disable, then GET_VRING_BASE; returns the reported next avail index.</summary>
    public uint StopQueueLikeQemu(int q)
    {
        Assert.True(Send(VhostUserRequest.SetVringEnable, VringState((uint)q, 0)));
        Assert.True(Send(VhostUserRequest.GetVringBase, VringState((uint)q, 0)));
        var (header, payload) = ReadReply();
        Assert.Equal((uint)VhostUserRequest.GetVringBase, header.Request);
        Assert.Equal(8, payload.Length);
        Assert.Equal((uint)q, BinaryPrimitives.ReadUInt32LittleEndian(payload));
        return BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(4));
    }

    // ---- guest driver ----

    /// <summary>Places request + response descriptors (from <paramref name="descriptor"/>), kicks, waits for the call, returns the used entry.</summary>
    public (uint Id, uint Length, byte[] Response) Submit(int q, ReadOnlySpan<byte> request, int responseBytes, ushort descriptor = 0)
    {
        ulong responseAddress = Post(q, request, responseBytes, descriptor);
        var (id, length) = WaitUsed(q);
        return (id, length, Guest(responseAddress, (int)Math.Min(length, (uint)responseBytes)).ToArray());
    }

    /// <summary>Places request + response descriptors and kicks without waiting; returns the response buffer's address.</summary>
    public ulong Post(int q, ReadOnlySpan<byte> request, int responseBytes, ushort descriptor = 0)
    {
        var (driver, kick, _) = _queues[q];
        ulong requestAddress = AllocateBuffer(request.Length);
        ulong responseAddress = AllocateBuffer(responseBytes);
        request.CopyTo(Guest(requestAddress, request.Length));
        driver.WriteDescriptor(descriptor, requestAddress, (uint)request.Length, VirtqueueFlags.DescriptorNext, (ushort)(descriptor + 1));
        driver.WriteDescriptor(descriptor + 1, responseAddress, (uint)responseBytes, VirtqueueFlags.DescriptorWrite, 0);
        driver.MakeAvailable(descriptor);
        EventFds.Signal(kick);
        return responseAddress;
    }

    /// <summary>Posts one device-writable buffer on an event queue (like alarmq) and kicks.</summary>
    public ulong PostEventBuffer(int q, int bytes, ushort descriptor = 0)
    {
        var (driver, kick, _) = _queues[q];
        ulong address = AllocateBuffer(bytes);
        driver.WriteDescriptor(descriptor, address, (uint)bytes, VirtqueueFlags.DescriptorWrite, 0);
        driver.MakeAvailable(descriptor);
        EventFds.Signal(kick);
        return address;
    }

    /// <summary>Makes <paramref name="head"/> available without writing descriptors (hostile chains) and kicks.</summary>
    public void MakeAvailableRaw(int q, ushort head)
    {
        var (driver, kick, _) = _queues[q];
        driver.MakeAvailable(head);
        EventFds.Signal(kick);
    }

    public SplitVirtqueueDriver Driver(int q) => _queues[q].Driver;
    public int KickFd(int q) => _queues[q].KickFd;
    public int CallFd(int q) => _queues[q].CallFd;

    public (uint Id, uint Length) WaitUsed(int q)
    {
        var (driver, _, call) = _queues[q];
        var deadline = Environment.TickCount64 + WaitMs;
        while (true)
        {
            if (driver.TryTakeUsed(out uint id, out uint length))
            {
                return (id, length);
            }
            // Like Linux's virtqueue_enable_cb under EVENT_IDX: ask for an interrupt at the next used entry,
            // then look again (the device may have published just before).
            driver.SetUsedEvent(driver.UsedIndex);
            Interlocked.MemoryBarrier();
            if (driver.TryTakeUsed(out id, out length))
            {
                return (id, length);
            }
            long left = deadline - Environment.TickCount64;
            Assert.True(left > 0, $"no used entry on queue {q} within {WaitMs} ms");
            if (WaitReadable(call, (int)left))
            {
                EventFds.Drain(call);
            }
        }
    }

    public ulong AllocateBuffer(int bytes)
    {
        ulong address = _nextBuffer;
        _nextBuffer += (ulong)((bytes + 63) & ~63);
        if (_nextBuffer > MemoryBytes)
        {
            _nextBuffer = BufferArea;
            address = _nextBuffer;
            _nextBuffer += (ulong)((bytes + 63) & ~63);
        }
        return address;
    }

    private static bool WaitReadable(int fd, int timeoutMs)
    {
        var poll = new LibC.PollFd { Fd = fd, Events = LibC.POLLIN };
        int ready = LibC.Poll(&poll, 1, timeoutMs);
        return ready > 0;
    }

    public void Dispose()
    {
        foreach (var (_, kick, call) in _queues.Values)
        {
            LibC.Close(kick);
            LibC.Close(call);
        }
        LibC.Munmap((nint)_memory, MemoryBytes);
        LibC.Close(_memFd);
        LibC.Close(_socketFd);
    }

    private sealed class PointerGuestMemory(byte* memory, ulong size) : IGuestMemory
    {
        public bool TryGetSpan(ulong guestPhysicalAddress, uint length, out Span<byte> span)
        {
            if (guestPhysicalAddress > size || length > size - guestPhysicalAddress)
            {
                span = default;
                return false;
            }
            span = new Span<byte>(memory + guestPhysicalAddress, (int)length);
            return true;
        }
    }
}
