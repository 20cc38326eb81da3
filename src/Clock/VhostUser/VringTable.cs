using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio;

namespace Sync.Clock.VhostUser;

/// <summary>
/// A connection's vrings (one <see cref="VringState"/> per device queue, at most 64): what the front end set up for
/// each and the ring object built from it. Owned by the connection's loop; not thread-safe.
/// </summary>
internal sealed class VringTable : IDisposable
{
    public const int MaxQueues = 64;

    private readonly VringState[] _vrings;

    public VringTable(int queueCount)
    {
        _vrings = new VringState[Math.Clamp(queueCount, 1, MaxQueues)];
        for (int i = 0; i < _vrings.Length; i++)
        {
            _vrings[i] = new VringState { Index = i };
        }
    }

    public int Count => _vrings.Length;

    /// <summary>Told (queue, fd) before a kick fd is closed: the loop takes it out of its epoll set first.</summary>
    public Action<int, int>? KickClosing
    {
        set
        {
            foreach (var vring in _vrings)
            {
                vring.KickClosing = value;
            }
        }
    }

    public VringState this[int index] => _vrings[index];

    public IEnumerable<VringState> All => _vrings;

    /// <summary>The vring at <paramref name="index"/>, or a problem naming the range.</summary>
    public bool TryGet(uint index, out VringState vring, ref string? problem)
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

    /// <summary>Started (has a kick), enabled and with addresses: its kicks are served.</summary>
    public bool IsRunnable(int q) => _vrings[q].Started && _vrings[q].Enabled && _vrings[q].AddressSet;

    /// <summary>Forgets every ring object (features or memory changed); each keeps its progress.</summary>
    public void DropQueues()
    {
        foreach (var vring in _vrings)
        {
            vring.DropQueue();
        }
    }

    /// <summary>RESET_OWNER/RESET_DEVICE: closes every fd and forgets everything but the sizes.</summary>
    public void Reset()
    {
        foreach (var vring in _vrings)
        {
            vring.CloseAll();
            vring.Enabled = false;
            vring.AddressSet = false;
            vring.Base = 0;
        }
    }

    /// <summary>Closes every kick, call and err fd.</summary>
    public void Dispose()
    {
        foreach (var vring in _vrings)
        {
            vring.CloseAll();
        }
    }

    /// <summary>The vrings as the state file keeps them: a running ring's next avail index as its base.</summary>
    public SnapshotVring[] Snapshot() => _vrings.Select(v => new SnapshotVring(
        v.Size, v.Queue?.NextAvailIndex ?? v.Base, v.AddressSet, v.Enabled,
        v.KickFd >= 0, v.CallFd >= 0, v.ErrFd >= 0,
        v.DescriptorFrontEndAddress, v.AvailFrontEndAddress, v.UsedFrontEndAddress)).ToArray();

    /// <summary>
    /// Takes the vrings of a state file with their stored eventfds (connection <paramref name="connectionId"/>'s names in
    /// <paramref name="fds"/>; each fd taken is added to <paramref name="adopted"/>), and sets each running ring's next
    /// avail index to the used ring's idx in guest memory (chains the previous process took but never completed are
    /// taken again). Returns "" or the problem.
    /// </summary>
    public string Restore(IReadOnlyList<SnapshotVring> saved, int connectionId, IReadOnlyDictionary<FdStoreName, int> fds,
        HashSet<int> adopted, VhostUserMemoryTable memory)
    {
        if (saved.Count > _vrings.Length)
        {
            return $"state has {saved.Count} vrings, the device has {_vrings.Length} queues";
        }
        for (int q = 0; q < saved.Count; q++)
        {
            var state = saved[q];
            var vring = _vrings[q];
            if (state.Size > SplitVirtqueueLayout.MaxSize)
            {
                return $"vring {q} size {state.Size} out of range";
            }
            vring.Size = state.Size;
            vring.Base = state.Base;
            vring.AddressSet = state.AddressSet;
            vring.Enabled = state.Enabled;
            vring.DescriptorFrontEndAddress = state.DescriptorFrontEndAddress;
            vring.AvailFrontEndAddress = state.AvailFrontEndAddress;
            vring.UsedFrontEndAddress = state.UsedFrontEndAddress;
            if (!TryAdoptEventFd(state.HasKick, FdStoreName.Kick(connectionId, q), fds, adopted, ref vring.KickFd, out string problem)
                || !TryAdoptEventFd(state.HasCall, FdStoreName.Call(connectionId, q), fds, adopted, ref vring.CallFd, out problem)
                || !TryAdoptEventFd(state.HasErr, FdStoreName.Err(connectionId, q), fds, adopted, ref vring.ErrFd, out problem))
            {
                return problem;
            }
            vring.Started = vring.KickFd >= 0;
            if (vring.Started && vring.AddressSet && memory.TryReadUsedIndex(vring.UsedFrontEndAddress, out ushort usedIndex))
            {
                vring.Base = usedIndex;
            }
        }
        return "";
    }

    private static bool TryAdoptEventFd(bool expected, FdStoreName name, IReadOnlyDictionary<FdStoreName, int> fds, HashSet<int> adopted,
        ref int slot, out string problem)
    {
        problem = "";
        if (!expected)
        {
            return true;
        }
        if (!fds.TryGetValue(name, out int fd))
        {
            problem = $"{name} is missing";
            return false;
        }
        if (!EventFds.IsEventFd(fd))
        {
            problem = $"{name} is not an eventfd";
            return false;
        }
        EventFds.MakeNonBlocking(fd);
        slot = fd;
        adopted.Add(fd);
        return true;
    }
}
