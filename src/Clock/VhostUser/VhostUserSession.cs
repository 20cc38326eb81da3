using Outcome = Sync.Clock.VhostUser.MessageOutcome;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Sync.Clock.Virtio;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>What a <see cref="VhostUserSession"/> needs from the connection that carries it.</summary>
internal interface IVhostUserSessionHost
{
    /// <summary>Sends a reply; false (and the connection ends) when it could not be sent.</summary>
    bool SendReply(uint request, ReadOnlySpan<byte> payload);

    /// <summary>Logs a protocol violation and ends the connection; always false.</summary>
    bool Fail(string reason);

    /// <summary>Brings the fd store and the state file up to date (a restarted process must know the change).</summary>
    void Persist();

    bool StopRequested { get; }
}

/// <summary>
/// The vhost-user protocol state of one front end, fed one message at a time: negotiated features, protocol
/// features, status and owner, the memory table and the vring table, and the device's queues served from them.
/// No socket and no thread: the connection reads messages and kicks and hands them over; replies go back through
/// <see cref="IVhostUserSessionHost"/>. Owned by the connection's loop; not thread-safe.
/// </summary>
internal sealed partial class VhostUserSession : IDisposable
{
    private const ulong StatusAcknowledgeOk = 0;
    private const ulong StatusFailed = 1;
    private const int ConfigHeaderBytes = 12;
    private const int MaxConfigBytes = 256;

    private readonly IVirtioDevice _device;
    private readonly VhostUserServerOptions _options;
    private readonly ILogger _logger;
    private readonly IVhostUserSessionHost _host;
    private readonly VhostUserMemoryTable _memory = new();
    private readonly VringTable _vrings;
    private readonly MemoryTableMessages _memoryMessages;
    private readonly VringMessages _vringMessages;
    private readonly DeviceQueues _queues;
    private List<int> _receivedFds = new();
    private ulong _ackedFeatures;
    private VhostUserProtocolFeatures _protocolFeatures;
    private ulong _status;

    public VhostUserSession(int id, IVirtioDevice device, VhostUserServerOptions options, ILogger logger, IVhostUserSessionHost host)
    {
        Id = id;
        _device = device;
        _options = options;
        _logger = logger;
        _host = host;
        _vrings = new VringTable(device.QueueCount);
        _memoryMessages = new MemoryTableMessages(_memory, _vrings);
        _queues = new DeviceQueues(id, device, options, logger, host, _vrings, _memory, () => _ackedFeatures);
        _vringMessages = new VringMessages(_vrings, host, q => ProcessQueue(q), () => ProtocolFeaturesNegotiated);
    }

    public int Id { get; }

    public VhostUserMemoryTable Memory => _memory;

    public VringTable Vrings => _vrings;

    /// <summary>SET_OWNER was received (the handshake timeout no longer applies).</summary>
    public bool OwnerSet { get; set; }

    /// <summary>The device changed state of its own (an alarm set): persisted after the current pass.</summary>
    public bool DeviceStateDirty
    {
        get => _queues.DeviceStateDirty;
        set => _queues.DeviceStateDirty = value;
    }

    public long RequestsCompleted => _queues.RequestsCompleted;
    public long ChainsRejected => _queues.ChainsRejected;

    /// <summary>
    /// Handles one whole message. <paramref name="fds"/> are the fds that came with it: the ones kept are set to -1
    /// or removed, the caller closes the rest. False: the connection must end (the reason was given to the host).
    /// </summary>
    public bool Handle(VhostUserHeader header, Span<byte> payload, List<int> fds)
    {
        _receivedFds = fds;
        return Handle(header, payload);
    }

    /// <summary>Serves queue <paramref name="q"/> (<see cref="DeviceQueues.Process"/>); true when a deferred call is due.</summary>
    public bool ProcessQueue(int q, bool deferCall = false) => _queues.Process(q, deferCall);

    /// <summary>Signals the call fd of each queue in <paramref name="queueMask"/> (<see cref="DeviceQueues.SignalCalls"/>).</summary>
    public void SignalCalls(int queueMask) => _queues.SignalCalls(queueMask);

    /// <summary>Closes every vring fd, unmaps the memory and closes its fds.</summary>
    public void Dispose()
    {
        _vrings.Dispose();
        _memory.Dispose();
    }

    private bool Handle(VhostUserHeader header, Span<byte> payload)
    {
        string? problem = null;
        var outcome = Dispatch(header, payload, ref problem);
        if (outcome != Outcome.Fatal && ChangesState((VhostUserRequest)header.Request))
        {
            // Before the acknowledgement: once the front end has it, a restarted process must know the change.
            _host.Persist();
        }
        switch (outcome)
        {
            case Outcome.Fatal:
                return _host.Fail(problem ?? $"malformed request {header.Request}");
            case Outcome.Failed:
                if (CanAck(header))
                {
                    _logger.LogDebug("vhost-user connection {Id}: request {Request} refused: {Problem}", Id, header.Request, problem);
                    return SendU64(header.Request, StatusFailed);
                }
                return _host.Fail($"request {(VhostUserRequest)header.Request} refused: {problem}");
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
                OwnerSet = true;
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
                return ReplyU64(header, payload, (ulong)_vrings.Count, ref problem);
            case VhostUserRequest.SetMemTable:
                return _memoryMessages.SetMemTable(payload, _receivedFds, ref problem);
            case VhostUserRequest.GetMaxMemSlots:
                return ReplyU64(header, payload, MappedGuestMemory.MaxRegions, ref problem);
            case VhostUserRequest.AddMemReg:
                return _memoryMessages.AddMemoryRegion(payload, _receivedFds, ref problem);
            case VhostUserRequest.RemMemReg:
                return _memoryMessages.RemoveMemoryRegion(payload, ref problem);
            case VhostUserRequest.SetVringNum:
            case VhostUserRequest.SetVringBase:
            case VhostUserRequest.SetVringEnable:
                return _vringMessages.SetVringState(request, payload, ref problem);
            case VhostUserRequest.GetVringBase:
                return _vringMessages.GetVringBase(header, payload, ref problem);
            case VhostUserRequest.SetVringAddr:
                return _vringMessages.SetVringAddress(payload, ref problem);
            case VhostUserRequest.SetVringKick:
            case VhostUserRequest.SetVringCall:
            case VhostUserRequest.SetVringErr:
                return _vringMessages.SetVringFd(request, payload, _receivedFds, ref problem);
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
        _vrings.DropQueues();
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
        return _host.SendReply(header.Request, reply) ? Outcome.Replied : Fatal("reply could not be sent", ref problem);
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
        _vrings.Reset();
        _status = 0;
        _ackedFeatures = 0;
        _device.Reset();
    }

    private bool SendU64(uint request, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return _host.SendReply(request, bytes);
    }

}
