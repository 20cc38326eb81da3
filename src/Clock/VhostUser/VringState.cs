using Sync.Clock.VhostUser.Native;

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
        ReplaceFd(ref KickFd, -1);
    }

    public void CloseAll()
    {
        Stop();
        ReplaceFd(ref CallFd, -1);
        ReplaceFd(ref ErrFd, -1);
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
