using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Sync.Clock.Virtio;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// One front end (one device of one VM) on its own thread: reads vhost-user messages, keeps the memory table
/// and vring state, waits (poll) on the socket, the kick eventfds and a wake eventfd (device notifications, stop),
/// processes rings and signals call eventfds. A malformed message (bad version, oversized or truncated payload,
/// wrong payload size) drops this connection only; the device instance dies with it.
/// </summary>
public sealed partial class VhostUserConnection : IDisposable
{
    private const ulong StatusAcknowledgeOk = 0;
    private const ulong StatusFailed = 1;
    private const int VringStateBytes = 8;
    private const int VringAddressBytes = 40;
    private const int MemoryRegionBytes = 32;
    private const int ConfigHeaderBytes = 12;
    private const int MaxConfigBytes = 256;
    private const int MaxMemTableRegions = 8;

    private readonly int _socketFd;
    private readonly int _wakeFd;
    private readonly IVirtioDevice _device;
    private readonly VhostUserServerOptions _options;
    private readonly ILogger _logger;
    private readonly UnixStreamChannel _channel;
    private readonly MappedGuestMemory _memory = new();
    private readonly VringState[] _vrings;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<int> _receivedFds = new();
    private readonly byte[] _payload = new byte[VhostUserHeader.MaxPayloadBytes];
    private volatile bool _stopRequested;
    private int _pendingNotificationMask;
    private ulong _ackedFeatures;
    private VhostUserProtocolFeatures _protocolFeatures;
    private ulong _status;
    private readonly object _wakeGate = new();
    private bool _wakeClosed;
    private Thread? _thread;
    // Timeouts: when accepted, when last active (message or kick), whether the handshake reached SET_OWNER.
    private readonly long _acceptedMs = Environment.TickCount64;
    private long _lastActivityMs = Environment.TickCount64;
    private bool _ownerSet;
    private bool _deviceStateDirty;

    // Memory regions with the fd each was mapped from (kept open so it can be stored and restored), by slot.
    private readonly List<MemorySlot> _memorySlots = new();
    // Persistence (both null when off): the fd store, the state directory, and what the store holds for us by name.
    private readonly IFileDescriptorStore? _fdStore;
    private readonly ConnectionStateDirectory? _stateDirectory;
    private readonly Dictionary<string, int> _storedFds = new();
    private bool _restored;

    private readonly record struct MemorySlot(int Slot, GuestMemoryRegion Region, int Fd);

    internal VhostUserConnection(int id, int socketFd, IVirtioDevice device, VhostUserServerOptions options, ILogger logger,
        IFileDescriptorStore? fdStore = null, ConnectionStateDirectory? stateDirectory = null)
    {
        Id = id;
        if (fdStore is not null && stateDirectory is not null)
        {
            _fdStore = fdStore;
            _stateDirectory = stateDirectory;
        }
        _socketFd = socketFd;
        _device = device;
        _options = options;
        _logger = logger;
        _wakeFd = EventFds.Create();
        _channel = new UnixStreamChannel(socketFd, _wakeFd, () => _stopRequested);
        _vrings = new VringState[Math.Clamp(device.QueueCount, 1, 64)];
        for (int i = 0; i < _vrings.Length; i++)
        {
            _vrings[i] = new VringState();
        }
    }

    public int Id { get; }

    /// <summary>Completes when the connection has ended and released everything.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the connection ended ("front end closed the socket", a protocol violation, "stopped").</summary>
    public string? EndReason { get; private set; }

    /// <summary>True when this connection was taken over from a previous process (fd store + state file).</summary>
    public bool IsRestored => _restored;

    public long MessagesHandled { get; private set; }
    public long RequestsCompleted { get; private set; }
    public long ChainsRejected { get; private set; }

    internal void Start()
    {
        if (_wakeFd < 0)
        {
            End("could not create the wake eventfd");
            Cleanup();
            return;
        }
        _device.NotificationPending += OnNotificationPending;
        if (_fdStore is not null && _device is IPersistentVirtioDevice persistent)
        {
            persistent.StateChanged += OnDeviceStateChanged;
        }
        if (_fdStore is not null && !_restored)
        {
            Persist();
        }
        _thread = new Thread(Run) { IsBackground = true, Name = $"vhost-user-{Id}" };
        _thread.Start();
    }

    public void RequestStop()
    {
        _stopRequested = true;
        SignalWake();
    }

    public void Dispose()
    {
        RequestStop();
        if (_thread is not null && _thread != Thread.CurrentThread)
        {
            _thread.Join();
        }
    }

    private void OnNotificationPending(int queueIndex)
    {
        if ((uint)queueIndex < 32)
        {
            Interlocked.Or(ref _pendingNotificationMask, 1 << queueIndex);
            SignalWake();
        }
    }

    private void SignalWake()
    {
        // The device may raise notifications from any thread, even while the connection ends: never write to
        // a closed (and possibly reused) fd number.
        lock (_wakeGate)
        {
            if (!_wakeClosed && _wakeFd >= 0)
            {
                EventFds.Signal(_wakeFd);
            }
        }
    }

    private void Run()
    {
        try
        {
            Loop();
        }
        catch (Exception exception)
        {
            // Untrusted input must never take the process down; log and drop this connection.
            End($"internal error: {exception.GetType().Name}: {exception.Message}");
            _logger.LogError(exception, "vhost-user connection {Id}: internal error", Id);
        }
        finally
        {
            Cleanup();
        }
    }

    private unsafe void Loop()
    {
        var polls = new LibC.PollFd[2 + _vrings.Length];
        var pollQueue = new int[polls.Length];
        if (_restored)
        {
            ResumeRestoredQueues();
        }
        while (!_stopRequested)
        {
            int count = 0;
            polls[count++] = new LibC.PollFd { Fd = _socketFd, Events = LibC.POLLIN };
            polls[count++] = new LibC.PollFd { Fd = _wakeFd, Events = LibC.POLLIN };
            for (int q = 0; q < _vrings.Length; q++)
            {
                if (IsRunnable(q) && _vrings[q].KickFd >= 0)
                {
                    pollQueue[count] = q;
                    polls[count++] = new LibC.PollFd { Fd = _vrings[q].KickFd, Events = LibC.POLLIN };
                }
            }
            int ready;
            fixed (LibC.PollFd* pollPointer = polls)
            {
                ready = LibC.Poll(pollPointer, (nuint)count, PollTimeoutMs());
            }
            if (ready == 0)
            {
                if (TimedOut() is { } timeout)
                {
                    Fail(timeout);
                    return;
                }
                continue;
            }
            _lastActivityMs = Environment.TickCount64;
            if (ready < 0)
            {
                if (LibC.LastErrno == LibC.EINTR)
                {
                    continue;
                }
                End($"poll failed (errno {LibC.LastErrno})");
                return;
            }
            if ((polls[1].Revents & LibC.POLLIN) != 0)
            {
                EventFds.Drain(_wakeFd);
            }
            if (_stopRequested)
            {
                End("stopped");
                return;
            }
            for (int i = 2; i < count; i++)
            {
                if (polls[i].Revents != 0)
                {
                    EventFds.Drain(polls[i].Fd);
                    ProcessQueue(pollQueue[i]);
                }
            }
            int pending = Interlocked.Exchange(ref _pendingNotificationMask, 0);
            for (int q = 0; q < _vrings.Length; q++)
            {
                if ((pending & (1 << q)) != 0)
                {
                    ProcessQueue(q);
                }
            }
            if (polls[0].Revents != 0 && !ReceiveAndHandleMessage())
            {
                return;
            }
        }
        End("stopped");
    }

    /// <summary>
    /// Until the nearer of the deadlines: SET_OWNER within <see cref="VhostUserServerOptions.HandshakeTimeout"/> of
    /// the accept (QEMU sends it right after connecting), some message or kick within
    /// <see cref="VhostUserServerOptions.IdleTimeout"/> of the last; -1 (wait forever) when neither applies.
    /// </summary>
    private int PollTimeoutMs()
    {
        long now = Environment.TickCount64;
        long deadline = long.MaxValue;
        if (!_ownerSet && _options.HandshakeTimeout > TimeSpan.Zero)
        {
            deadline = _acceptedMs + (long)_options.HandshakeTimeout.TotalMilliseconds;
        }
        if (_options.IdleTimeout > TimeSpan.Zero)
        {
            deadline = Math.Min(deadline, _lastActivityMs + (long)_options.IdleTimeout.TotalMilliseconds);
        }
        return deadline == long.MaxValue ? -1 : (int)Math.Clamp(deadline - now, 0, int.MaxValue);
    }

    private string? TimedOut()
    {
        long now = Environment.TickCount64;
        if (!_ownerSet && _options.HandshakeTimeout > TimeSpan.Zero && now - _acceptedMs >= (long)_options.HandshakeTimeout.TotalMilliseconds)
        {
            return $"no SET_OWNER within {_options.HandshakeTimeout.TotalSeconds:0.###} s of connecting (serve:handshakeTimeoutSeconds)";
        }
        if (_options.IdleTimeout > TimeSpan.Zero && now - _lastActivityMs >= (long)_options.IdleTimeout.TotalMilliseconds)
        {
            return $"no message or kick for {_options.IdleTimeout.TotalSeconds:0.###} s (serve:idleTimeoutSeconds)";
        }
        return null;
    }

    private bool IsRunnable(int q) => _vrings[q].Started && _vrings[q].Enabled && _vrings[q].AddressSet;

    private void ProcessQueue(int q)
    {
        if (!IsRunnable(q))
        {
            return;
        }
        var vring = _vrings[q];
        vring.Queue ??= BuildQueue(vring);
        if (vring.Queue is null)
        {
            return;
        }
        VirtqueuePassResult result;
        do
        {
            result = vring.Queue.Process(_device, q);
            RequestsCompleted += result.Completed;
            ChainsRejected += result.Rejected;
            if (result.NotifyDriver && vring.CallFd >= 0)
            {
                EventFds.Signal(vring.CallFd);
            }
        }
        while (result.MorePending && !_stopRequested);
        if (_deviceStateDirty)
        {
            _deviceStateDirty = false;
            Persist(); // e.g. an alarm was set: a restarted process must keep it
        }
        if (vring.Queue.IsBroken && !vring.ReportedBroken)
        {
            vring.ReportedBroken = true;
            _logger.LogWarning("vhost-user connection {Id}: queue {Queue} needs reset: {Reason}", Id, q, vring.Queue.BrokenReason);
            if (vring.ErrFd >= 0)
            {
                EventFds.Signal(vring.ErrFd);
            }
        }
    }

    private SplitVirtqueue? BuildQueue(VringState vring)
    {
        if (!_memory.TryTranslateFrontEndAddress(vring.DescriptorFrontEndAddress, out ulong table)
            || !_memory.TryTranslateFrontEndAddress(vring.AvailFrontEndAddress, out ulong avail)
            || !_memory.TryTranslateFrontEndAddress(vring.UsedFrontEndAddress, out ulong used))
        {
            // Build a queue that reports itself broken, so the reason is logged once and err fd signalled.
            return new SplitVirtqueue(_memory, new SplitVirtqueueLayout(0, 0, 0, 0), RingOptions(), vring.Base);
        }
        return new SplitVirtqueue(_memory, new SplitVirtqueueLayout(vring.Size, table, avail, used), RingOptions(), vring.Base);
    }

    private SplitVirtqueueOptions RingOptions() => SplitVirtqueueOptions.FromFeatures(_ackedFeatures) with
    {
        MaxRequestBytes = _options.MaxRequestBytes,
        MaxResponseBytes = _options.MaxResponseBytes,
    };

    /// <summary>Reads one message and handles it; false ends the connection.</summary>
    private bool ReceiveAndHandleMessage()
    {
        Span<byte> headerBytes = stackalloc byte[VhostUserHeader.Bytes];
        _receivedFds.Clear();
        try
        {
            var status = _channel.ReceiveExact(headerBytes, _receivedFds);
            if (status != UnixStreamChannel.ReceiveStatus.Ok)
            {
                return EndOnReceive(status, "header");
            }
            var header = VhostUserHeader.Read(headerBytes);
            if ((header.Flags & VhostUserHeader.VersionMask) != VhostUserHeader.Version1)
            {
                return Fail($"bad version flags 0x{header.Flags:x} in request {header.Request}");
            }
            if ((header.Flags & VhostUserHeader.ReplyFlag) != 0)
            {
                return Fail($"reply flag set on request {header.Request}");
            }
            if (header.Size > VhostUserHeader.MaxPayloadBytes)
            {
                return Fail($"payload of {header.Size} bytes in request {header.Request} exceeds {VhostUserHeader.MaxPayloadBytes}");
            }
            var payload = _payload.AsSpan(0, (int)header.Size);
            status = _channel.ReceiveExact(payload, _receivedFds);
            if (status != UnixStreamChannel.ReceiveStatus.Ok)
            {
                return EndOnReceive(status, $"payload of request {header.Request}");
            }
            MessagesHandled++;
            return Handle(header, payload);
        }
        finally
        {
            foreach (int fd in _receivedFds)
            {
                LibC.CloseQuietly(fd); // -1 for fds kept
            }
            _receivedFds.Clear();
        }
    }

    private bool EndOnReceive(UnixStreamChannel.ReceiveStatus status, string what)
    {
        End(status switch
        {
            UnixStreamChannel.ReceiveStatus.Closed => $"front end closed the socket (reading {what})",
            UnixStreamChannel.ReceiveStatus.Stopped => "stopped",
            UnixStreamChannel.ReceiveStatus.TooManyFds => $"too many fds with {what}",
            _ => $"socket error reading {what} (errno {LibC.LastErrno})",
        });
        return false;
    }

    private enum Outcome { Done, Replied, Failed, Fatal }

    private bool Handle(VhostUserHeader header, Span<byte> payload)
    {
        string? problem = null;
        var outcome = Dispatch(header, payload, ref problem);
        if (outcome != Outcome.Fatal && ChangesState((VhostUserRequest)header.Request))
        {
            // Before the acknowledgement: once the front end has it, a restarted process must know the change.
            Persist();
        }
        switch (outcome)
        {
            case Outcome.Fatal:
                return Fail(problem ?? $"malformed request {header.Request}");
            case Outcome.Failed:
                if (CanAck(header))
                {
                    _logger.LogDebug("vhost-user connection {Id}: request {Request} refused: {Problem}", Id, header.Request, problem);
                    return SendU64(header.Request, StatusFailed);
                }
                return Fail($"request {(VhostUserRequest)header.Request} refused: {problem}");
            case Outcome.Done when CanAck(header):
                return SendU64(header.Request, StatusAcknowledgeOk);
            default:
                return true;
        }
    }

    private bool CanAck(VhostUserHeader header) =>
        header.NeedsReply && (_protocolFeatures & VhostUserProtocolFeatures.ReplyAck) != 0;

    private Outcome Dispatch(VhostUserHeader header, Span<byte> payload, ref string? problem)
    {
        var request = (VhostUserRequest)header.Request;
        switch (request)
        {
            case VhostUserRequest.GetFeatures:
                return ReplyU64(header, payload, OfferedFeatures, ref problem);
            case VhostUserRequest.SetFeatures:
                return SetFeatures(payload, ref problem);
            case VhostUserRequest.SetOwner:
                _ownerSet = true;
                return NoPayload(payload, ref problem) ? Outcome.Done : Outcome.Fatal;
            case VhostUserRequest.ResetOwner:
            case VhostUserRequest.ResetDevice:
                if (!NoPayload(payload, ref problem))
                {
                    return Outcome.Fatal;
                }
                ResetDevice();
                return Outcome.Done;
            case VhostUserRequest.GetProtocolFeatures:
                return ReplyU64(header, payload, (ulong)_options.ProtocolFeatures, ref problem);
            case VhostUserRequest.SetProtocolFeatures:
                return SetProtocolFeatures(payload, ref problem);
            case VhostUserRequest.GetQueueNum:
                return ReplyU64(header, payload, (ulong)_vrings.Length, ref problem);
            case VhostUserRequest.SetMemTable:
                return SetMemTable(payload, ref problem);
            case VhostUserRequest.GetMaxMemSlots:
                return ReplyU64(header, payload, MappedGuestMemory.MaxRegions, ref problem);
            case VhostUserRequest.AddMemReg:
                return AddMemoryRegion(payload, ref problem);
            case VhostUserRequest.RemMemReg:
                return RemoveMemoryRegion(payload, ref problem);
            case VhostUserRequest.SetVringNum:
            case VhostUserRequest.SetVringBase:
            case VhostUserRequest.SetVringEnable:
                return SetVringState(request, payload, ref problem);
            case VhostUserRequest.GetVringBase:
                return GetVringBase(header, payload, ref problem);
            case VhostUserRequest.SetVringAddr:
                return SetVringAddress(payload, ref problem);
            case VhostUserRequest.SetVringKick:
            case VhostUserRequest.SetVringCall:
            case VhostUserRequest.SetVringErr:
                return SetVringFd(request, payload, ref problem);
            case VhostUserRequest.GetConfig:
                return GetConfig(header, payload, ref problem);
            case VhostUserRequest.SetConfig:
                problem = "the device has no configuration space";
                return Outcome.Failed;
            case VhostUserRequest.SetStatus:
                return SetStatus(payload, ref problem);
            case VhostUserRequest.GetStatus:
                return ReplyU64(header, payload, _status, ref problem);
            default:
                // Unknown or not offered (log, postcopy, inflight...): refuse if a reply is expected, else ignore.
                problem = $"request {header.Request} not supported";
                _logger.LogDebug("vhost-user connection {Id}: ignoring request {Request}", Id, header.Request);
                return header.NeedsReply ? Outcome.Failed : Outcome.Replied;
        }
    }

    private ulong OfferedFeatures => _device.DeviceFeatures | _options.TransportFeatures | VhostUserHeader.ProtocolFeaturesBit;

    private static bool NoPayload(ReadOnlySpan<byte> payload, ref string? problem)
    {
        // Front ends send GET_* with no payload; tolerate a u64 as some do, refuse anything else.
        if (payload.Length is 0 or 8)
        {
            return true;
        }
        problem = $"unexpected payload of {payload.Length} bytes";
        return false;
    }

    private Outcome ReplyU64(VhostUserHeader header, ReadOnlySpan<byte> payload, ulong value, ref string? problem)
    {
        if (!NoPayload(payload, ref problem))
        {
            return Outcome.Fatal;
        }
        return SendU64(header.Request, value) ? Outcome.Replied : Fatal("reply could not be sent", ref problem);
    }

    private static Outcome Fatal(string reason, ref string? problem)
    {
        problem = reason;
        return Outcome.Fatal;
    }

    private static bool TryReadU64(ReadOnlySpan<byte> payload, out ulong value)
    {
        value = payload.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(payload) : 0;
        return payload.Length == 8;
    }

    private Outcome SetFeatures(ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (!TryReadU64(payload, out ulong features))
        {
            return Fatal($"SET_FEATURES payload is {payload.Length} bytes, not 8", ref problem);
        }
        if ((features & ~OfferedFeatures) != 0)
        {
            problem = $"features 0x{features & ~OfferedFeatures:x} were not offered";
            return Outcome.Failed;
        }
        _ackedFeatures = features;
        _device.SetDriverFeatures(features & ~VhostUserHeader.ProtocolFeaturesBit);
        foreach (var vring in _vrings)
        {
            vring.DropQueue();
        }
        return Outcome.Done;
    }

    private Outcome SetProtocolFeatures(ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (!TryReadU64(payload, out ulong features))
        {
            return Fatal($"SET_PROTOCOL_FEATURES payload is {payload.Length} bytes, not 8", ref problem);
        }
        if ((features & ~(ulong)_options.ProtocolFeatures) != 0)
        {
            problem = $"protocol features 0x{features & ~(ulong)_options.ProtocolFeatures:x} were not offered";
            return Outcome.Failed;
        }
        _protocolFeatures = (VhostUserProtocolFeatures)features;
        return Outcome.Done;
    }

    private bool ProtocolFeaturesNegotiated =>
        (_ackedFeatures & VhostUserHeader.ProtocolFeaturesBit) != 0 || (_protocolFeatures != VhostUserProtocolFeatures.None);

    private Outcome SetMemTable(ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (payload.Length < 8)
        {
            return Fatal($"SET_MEM_TABLE payload is {payload.Length} bytes", ref problem);
        }
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (count == 0 || count > MaxMemTableRegions || payload.Length != 8 + count * MemoryRegionBytes)
        {
            return Fatal($"SET_MEM_TABLE with {count} regions in {payload.Length} bytes", ref problem);
        }
        if (_receivedFds.Count != count)
        {
            problem = $"SET_MEM_TABLE with {count} regions came with {_receivedFds.Count} fds";
            return Outcome.Failed;
        }
        foreach (var vring in _vrings)
        {
            vring.DropQueue();
        }
        ClearMemory();
        for (int i = 0; i < count; i++)
        {
            var region = ReadRegion(payload.Slice(8 + i * MemoryRegionBytes, MemoryRegionBytes));
            if (!_memory.TryAddRegion(region, _receivedFds[i], out string error))
            {
                ClearMemory();
                problem = $"region {i}: {error}";
                return Outcome.Failed;
            }
            _memorySlots.Add(new MemorySlot(i, region, _receivedFds[i]));
            _receivedFds[i] = -1; // kept with its region
        }
        return Outcome.Done;
    }

    private Outcome AddMemoryRegion(ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (payload.Length != 8 + MemoryRegionBytes)
        {
            return Fatal($"ADD_MEM_REG payload is {payload.Length} bytes", ref problem);
        }
        if (_receivedFds.Count != 1)
        {
            problem = $"ADD_MEM_REG came with {_receivedFds.Count} fds";
            return Outcome.Failed;
        }
        foreach (var vring in _vrings)
        {
            vring.DropQueue();
        }
        var region = ReadRegion(payload.Slice(8));
        if (!_memory.TryAddRegion(region, _receivedFds[0], out string error))
        {
            problem = error;
            return Outcome.Failed;
        }
        int slot = 0;
        while (_memorySlots.Any(m => m.Slot == slot))
        {
            slot++;
        }
        _memorySlots.Add(new MemorySlot(slot, region, _receivedFds[0]));
        _receivedFds.Clear(); // kept with its region
        return Outcome.Done;
    }

    private Outcome RemoveMemoryRegion(ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (payload.Length != 8 + MemoryRegionBytes)
        {
            return Fatal($"REM_MEM_REG payload is {payload.Length} bytes", ref problem);
        }
        foreach (var vring in _vrings)
        {
            vring.DropQueue();
        }
        var region = ReadRegion(payload.Slice(8));
        if (!_memory.RemoveRegion(region))
        {
            problem = "no such region";
            return Outcome.Failed;
        }
        int index = _memorySlots.FindIndex(m =>
            m.Region.GuestPhysicalAddress == region.GuestPhysicalAddress
            && m.Region.SizeBytes == region.SizeBytes
            && m.Region.FrontEndVirtualAddress == region.FrontEndVirtualAddress);
        if (index >= 0)
        {
            LibC.CloseQuietly(_memorySlots[index].Fd);
            _memorySlots.RemoveAt(index);
        }
        return Outcome.Done;
    }

    private static GuestMemoryRegion ReadRegion(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(8)),
        BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(16)),
        BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(24)));

    private bool TryVring(uint index, out VringState vring, ref string? problem)
    {
        if (index < (uint)_vrings.Length)
        {
            vring = _vrings[index];
            return true;
        }
        vring = null!;
        problem = $"vring index {index} out of range (device has {_vrings.Length} queues)";
        return false;
    }

    private Outcome SetVringState(VhostUserRequest request, ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (payload.Length != VringStateBytes)
        {
            return Fatal($"{request} payload is {payload.Length} bytes, not {VringStateBytes}", ref problem);
        }
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(payload.Slice(4));
        if (!TryVring(index, out var vring, ref problem))
        {
            return Outcome.Failed;
        }
        switch (request)
        {
            case VhostUserRequest.SetVringNum:
                if (value == 0 || value > SplitVirtqueueLayout.MaxSize || (value & (value - 1)) != 0)
                {
                    problem = $"vring size {value} is not a power of two up to {SplitVirtqueueLayout.MaxSize}";
                    return Outcome.Failed;
                }
                vring.DropQueue();
                vring.Size = (ushort)value;
                return Outcome.Done;
            case VhostUserRequest.SetVringBase:
                if (value > ushort.MaxValue)
                {
                    problem = $"vring base {value} does not fit a split ring index";
                    return Outcome.Failed;
                }
                vring.Queue = null;
                vring.ReportedBroken = false;
                vring.Base = (ushort)value;
                return Outcome.Done;
            default:
                if (value > 1)
                {
                    problem = $"SET_VRING_ENABLE {value}";
                    return Outcome.Failed;
                }
                vring.Enabled = value == 1;
                if (vring.Enabled)
                {
                    ProcessQueue((int)index);
                }
                return Outcome.Done;
        }
    }

    private Outcome GetVringBase(VhostUserHeader header, ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (payload.Length != VringStateBytes)
        {
            return Fatal($"GET_VRING_BASE payload is {payload.Length} bytes", ref problem);
        }
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (!TryVring(index, out var vring, ref problem))
        {
            // A reply is expected and there is no way to say "error" in a vring state: end the connection.
            return Outcome.Fatal;
        }
        vring.Stop();
        ushort nextAvail = vring.Base;
        Span<byte> reply = stackalloc byte[VringStateBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(reply, index);
        BinaryPrimitives.WriteUInt32LittleEndian(reply.Slice(4), nextAvail);
        vring.Base = 0;
        return SendReply(header.Request, reply) ? Outcome.Replied : Fatal("reply could not be sent", ref problem);
    }

    private Outcome SetVringAddress(ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (payload.Length != VringAddressBytes)
        {
            return Fatal($"SET_VRING_ADDR payload is {payload.Length} bytes, not {VringAddressBytes}", ref problem);
        }
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (!TryVring(index, out var vring, ref problem))
        {
            return Outcome.Failed;
        }
        vring.DropQueue();
        vring.DescriptorFrontEndAddress = BinaryPrimitives.ReadUInt64LittleEndian(payload.Slice(8));
        vring.UsedFrontEndAddress = BinaryPrimitives.ReadUInt64LittleEndian(payload.Slice(16));
        vring.AvailFrontEndAddress = BinaryPrimitives.ReadUInt64LittleEndian(payload.Slice(24));
        vring.AddressSet = true;
        return Outcome.Done;
    }

    private Outcome SetVringFd(VhostUserRequest request, ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (!TryReadU64(payload, out ulong value))
        {
            return Fatal($"{request} payload is {payload.Length} bytes, not 8", ref problem);
        }
        if ((value & ~(VhostUserHeader.VringIndexMask | VhostUserHeader.VringNoFdFlag)) != 0)
        {
            problem = $"{request} with unknown bits 0x{value:x}";
            return Outcome.Failed;
        }
        if (!TryVring((uint)(value & VhostUserHeader.VringIndexMask), out var vring, ref problem))
        {
            return Outcome.Failed;
        }
        bool noFd = (value & VhostUserHeader.VringNoFdFlag) != 0;
        int fd = -1;
        if (!noFd)
        {
            if (_receivedFds.Count != 1)
            {
                problem = $"{request} came with {_receivedFds.Count} fds, expected 1";
                return Outcome.Failed;
            }
            if (!EventFds.IsEventFd(_receivedFds[0]))
            {
                problem = $"{request} fd is not an eventfd";
                return Outcome.Failed;
            }
            fd = _receivedFds[0];
            _receivedFds.Clear(); // kept: not closed after the message
        }
        switch (request)
        {
            case VhostUserRequest.SetVringKick:
                vring.DropQueue();
                VringState.ReplaceFd(ref vring.KickFd, fd);
                vring.Started = true;
                if (!ProtocolFeaturesNegotiated)
                {
                    vring.Enabled = true;
                }
                ProcessQueue((int)(value & VhostUserHeader.VringIndexMask));
                break;
            case VhostUserRequest.SetVringCall:
                VringState.ReplaceFd(ref vring.CallFd, fd);
                break;
            default:
                VringState.ReplaceFd(ref vring.ErrFd, fd);
                break;
        }
        return Outcome.Done;
    }

    private Outcome GetConfig(VhostUserHeader header, ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (payload.Length < ConfigHeaderBytes)
        {
            return Fatal($"GET_CONFIG payload is {payload.Length} bytes", ref problem);
        }
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(payload.Slice(4));
        if (size > MaxConfigBytes || payload.Length != ConfigHeaderBytes + size || offset > MaxConfigBytes - size)
        {
            return Fatal($"GET_CONFIG of {size} bytes at {offset} in a payload of {payload.Length}", ref problem);
        }
        // virtio-rtc has no configuration space: answer with the requested size of zeros.
        Span<byte> reply = stackalloc byte[ConfigHeaderBytes + (int)size];
        reply.Clear();
        payload.Slice(0, ConfigHeaderBytes).CopyTo(reply);
        return SendReply(header.Request, reply) ? Outcome.Replied : Fatal("reply could not be sent", ref problem);
    }

    private Outcome SetStatus(ReadOnlySpan<byte> payload, ref string? problem)
    {
        if (!TryReadU64(payload, out ulong status))
        {
            return Fatal($"SET_STATUS payload is {payload.Length} bytes, not 8", ref problem);
        }
        if (status > 0xff)
        {
            problem = $"status 0x{status:x} does not fit a byte";
            return Outcome.Failed;
        }
        if (status == 0)
        {
            // QEMU sends SET_STATUS 0 when it stops the device, before GET_VRING_BASE: the rings must keep their
            // indices for that reply (and for a later restart), so only the device logic is reset here.
            _device.Reset();
        }
        _status = status;
        return Outcome.Done;
    }

    private void ResetDevice()
    {
        foreach (var vring in _vrings)
        {
            vring.CloseAll();
            vring.Enabled = false;
            vring.AddressSet = false;
            vring.Base = 0;
        }
        _status = 0;
        _ackedFeatures = 0;
        _device.Reset();
    }

    private bool SendU64(uint request, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return SendReply(request, bytes);
    }

    private bool SendReply(uint request, ReadOnlySpan<byte> payload)
    {
        Span<byte> message = stackalloc byte[VhostUserHeader.Bytes + payload.Length];
        new VhostUserHeader(request, VhostUserHeader.Version1 | VhostUserHeader.ReplyFlag, (uint)payload.Length).Write(message);
        payload.CopyTo(message.Slice(VhostUserHeader.Bytes));
        if (_channel.SendAll(message))
        {
            return true;
        }
        End($"sending the reply to request {request} failed (errno {LibC.LastErrno})");
        return false;
    }

    private bool Fail(string reason)
    {
        _logger.LogWarning("vhost-user connection {Id}: dropping: {Reason}", Id, reason);
        End(reason);
        return false;
    }

    private void End(string reason) => EndReason ??= reason;

    private void Cleanup()
    {
        _device.NotificationPending -= OnNotificationPending;
        if (_device is IPersistentVirtioDevice persistentDevice)
        {
            persistentDevice.StateChanged -= OnDeviceStateChanged;
        }
        if (_fdStore is not null && !_stopRequested)
        {
            // The front end is gone (or broke the protocol): nothing to take over after a restart.
            // A stop (service stop or restart) keeps the store and the state file: the next process continues.
            foreach (string name in _storedFds.Keys)
            {
                _fdStore.Remove(name);
            }
            _storedFds.Clear();
            _stateDirectory!.Delete(Id);
        }
        foreach (var vring in _vrings)
        {
            vring.CloseAll();
        }
        ClearMemory();
        LibC.CloseQuietly(_socketFd);
        lock (_wakeGate)
        {
            _wakeClosed = true;
            LibC.CloseQuietly(_wakeFd);
        }
        _logger.LogInformation("vhost-user connection {Id} ended: {Reason}", Id, EndReason);
        _completion.TrySetResult();
    }
}
