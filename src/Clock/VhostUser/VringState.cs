using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio;

namespace Sync.Clock.VhostUser;

/// <summary>What the front end told us about one vring; the connection thread owns it.</summary>
internal sealed class VringState
{
    public ushort Size;
    public ushort Base;
    public bool AddressSet;
    public ulong DescriptorFrontEndAddress;
    public ulong AvailFrontEndAddress;
    public ulong UsedFrontEndAddress;
    public int KickFd = -1;
    public int CallFd = -1;
    public int ErrFd = -1;
    public bool Started;
    public bool Enabled;
    public SplitVirtqueue? Queue;
    public bool ReportedBroken;

    /// <summary>Queue index of this vring, and who must hear of a kick fd before it is closed (the epoll set holds it).</summary>
    public int Index;
    public Action<int, int>? KickClosing;

    /// <summary>Forget the ring object (addresses or memory changed); keep its progress in <see cref="Base"/>.</summary>
    public void DropQueue()
    {
        if (Queue is not null)
        {
            Base = Queue.NextAvailIndex;
            Queue = null;
        }
        ReportedBroken = false;
    }

    public void Stop()
    {
        DropQueue();
        Started = false;
        ReplaceKick(-1);
    }

    public void CloseAll()
    {
        Stop();
        ReplaceFd(ref CallFd, -1);
        ReplaceFd(ref ErrFd, -1);
    }

    /// <summary>Takes <paramref name="fd"/> as the kick fd; the previous one is reported to <see cref="KickClosing"/>, then closed.</summary>
    public void ReplaceKick(int fd)
    {
        if (KickFd >= 0 && KickFd != fd)
        {
            KickClosing?.Invoke(Index, KickFd);
        }
        ReplaceFd(ref KickFd, fd);
    }

    public static void ReplaceFd(ref int slot, int fd)
    {
        if (slot >= 0 && slot != fd)
        {
            LibC.Close(slot);
        }
        slot = fd;
    }
}
