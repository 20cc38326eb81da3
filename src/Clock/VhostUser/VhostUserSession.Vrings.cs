using Outcome = Sync.Clock.VhostUser.MessageOutcome;
using System.Buffers.Binary;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio;

namespace Sync.Clock.VhostUser;

/// <summary>The session's vring messages (SET_VRING_*, GET_VRING_BASE); the memory table's are <see cref="MemoryTableMessages"/>.</summary>
internal sealed partial class VhostUserSession
{
    private bool TryVring(uint index, out VringState vring, ref string? problem) => _vrings.TryGet(index, out vring, ref problem);

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
        return _host.SendReply(header.Request, reply) ? Outcome.Replied : Fatal("reply could not be sent", ref problem);
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
            // The loop reads kicks and writes calls on one thread for every VM: a blocking eventfd (a full call
            // counter, a kick fd shared with another ring) must never block it.
            EventFds.MakeNonBlocking(fd);
        }
        switch (request)
        {
            case VhostUserRequest.SetVringKick:
                vring.DropQueue();
                vring.ReplaceKick(fd);
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
}
