using System.Buffers.Binary;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio;
using Outcome = Sync.Clock.VhostUser.MessageOutcome;

namespace Sync.Clock.VhostUser;

/// <summary>
/// The vring messages of a session (SET_VRING_NUM/BASE/ENABLE/ADDR/KICK/CALL/ERR, GET_VRING_BASE): payloads decoded and
/// checked, the <see cref="VringTable"/> set up from them. A ring that becomes runnable is served at once
/// (<paramref name="processQueue"/>); GET_VRING_BASE replies through <paramref name="host"/>.
/// </summary>
/// <param name="protocolFeaturesNegotiated">Without VHOST_USER_F_PROTOCOL_FEATURES a ring is enabled by its kick.</param>
internal sealed class VringMessages(VringTable vrings, IVhostUserSessionHost host, Func<int, bool> processQueue, Func<bool> protocolFeaturesNegotiated)
{
    private const int VringStateBytes = 8;
    private const int VringAddressBytes = 40;

    private bool TryVring(uint index, out VringState vring, ref string? problem) => vrings.TryGet(index, out vring, ref problem);

    public Outcome SetVringState(VhostUserRequest request, ReadOnlySpan<byte> payload, ref string? problem)
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
                    processQueue((int)index);
                }
                return Outcome.Done;
        }
    }

    public Outcome GetVringBase(VhostUserHeader header, ReadOnlySpan<byte> payload, ref string? problem)
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
        return host.SendReply(header.Request, reply) ? Outcome.Replied : Fatal("reply could not be sent", ref problem);
    }

    public Outcome SetVringAddress(ReadOnlySpan<byte> payload, ref string? problem)
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

    public Outcome SetVringFd(VhostUserRequest request, ReadOnlySpan<byte> payload, List<int> fds, ref string? problem)
    {
        if (payload.Length != 8)
        {
            return Fatal($"{request} payload is {payload.Length} bytes, not 8", ref problem);
        }
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(payload);
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
            if (fds.Count != 1)
            {
                problem = $"{request} came with {fds.Count} fds, expected 1";
                return Outcome.Failed;
            }
            if (!EventFds.IsEventFd(fds[0]))
            {
                problem = $"{request} fd is not an eventfd";
                return Outcome.Failed;
            }
            fd = fds[0];
            fds.Clear(); // kept: not closed after the message
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
                if (!protocolFeaturesNegotiated())
                {
                    vring.Enabled = true;
                }
                processQueue((int)(value & VhostUserHeader.VringIndexMask));
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

    private static Outcome Fatal(string reason, ref string? problem)
    {
        problem = reason;
        return Outcome.Fatal;
    }
}
