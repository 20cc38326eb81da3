using System.Buffers.Binary;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// A connection's guest memory table: the mapped regions (<see cref="MappedGuestMemory"/>) with the slot each came in
/// and the fd each was mapped from. The fds stay open with their region so they can be put into the fd store and
/// restored after a restart; they are closed when the region is replaced, removed or the table cleared. Owned by the
/// connection's loop; not thread-safe.
/// </summary>
internal sealed class VhostUserMemoryTable : IDisposable
{
    /// <summary>A mapped region, the slot it came in (its index in SET_MEM_TABLE, or the first free one for ADD_MEM_REG), its fd.</summary>
    public readonly record struct Slot(int Index, GuestMemoryRegion Region, int Fd);

    private readonly List<Slot> _slots = new();

    public MappedGuestMemory Memory { get; } = new();

    public IReadOnlyList<Slot> Slots => _slots;

    /// <summary>
    /// Replaces the table (SET_MEM_TABLE): region i is mapped from <paramref name="fds"/>[i]. Each fd taken is set to -1
    /// in the list (the caller closes what is left). On failure the table is left empty.
    /// </summary>
    public bool TryReplace(IReadOnlyList<GuestMemoryRegion> regions, List<int> fds, out string problem)
    {
        Clear();
        for (int i = 0; i < regions.Count; i++)
        {
            if (!Memory.TryAddRegion(regions[i], fds[i], out string error))
            {
                Clear();
                problem = $"region {i}: {error}";
                return false;
            }
            _slots.Add(new Slot(i, regions[i], fds[i]));
            fds[i] = -1; // kept with its region
        }
        problem = "";
        return true;
    }

    /// <summary>Maps one more region (ADD_MEM_REG) in the first free slot; the fd is kept on success only.</summary>
    public bool TryAdd(GuestMemoryRegion region, int fd, out string problem)
    {
        if (!Memory.TryAddRegion(region, fd, out problem))
        {
            return false;
        }
        int slot = 0;
        while (_slots.Any(m => m.Index == slot))
        {
            slot++;
        }
        _slots.Add(new Slot(slot, region, fd));
        return true;
    }

    /// <summary>Maps a region restored from a state file in its saved slot; the fd is owned by the table from now on.</summary>
    public bool TryRestore(int slot, GuestMemoryRegion region, int fd, out string problem)
    {
        _slots.Add(new Slot(slot, region, fd));
        return Memory.TryAddRegion(region, fd, out problem);
    }

    /// <summary>Unmaps the region (REM_MEM_REG) and closes its fd; false when no such region is mapped.</summary>
    public bool TryRemove(GuestMemoryRegion region)
    {
        if (!Memory.RemoveRegion(region))
        {
            return false;
        }
        int index = _slots.FindIndex(m =>
            m.Region.GuestPhysicalAddress == region.GuestPhysicalAddress
            && m.Region.SizeBytes == region.SizeBytes
            && m.Region.FrontEndVirtualAddress == region.FrontEndVirtualAddress);
        if (index >= 0)
        {
            LibC.CloseQuietly(_slots[index].Fd);
            _slots.RemoveAt(index);
        }
        return true;
    }

    /// <summary>Unmaps every region and closes every fd.</summary>
    public void Clear()
    {
        Memory.Clear();
        foreach (var slot in _slots)
        {
            LibC.CloseQuietly(slot.Fd);
        }
        _slots.Clear();
    }

    public void Dispose() => Clear();

    /// <summary>The first slot (in table order) whose fd is the same file as this slot's: its own unless QEMU passed one memfd for two regions.</summary>
    public int FdSlotOf(Slot slot)
    {
        if (!LibC.TryGetFileIdentity(slot.Fd, out var identity))
        {
            return slot.Index;
        }
        foreach (var other in _slots)
        {
            if (other.Index == slot.Index)
            {
                return slot.Index;
            }
            if (LibC.TryGetFileIdentity(other.Fd, out var otherIdentity) && otherIdentity == identity)
            {
                return other.Index;
            }
        }
        return slot.Index;
    }

    /// <summary>The used ring's idx of a ring whose used ring is at <paramref name="usedFrontEndAddress"/>.</summary>
    public bool TryReadUsedIndex(ulong usedFrontEndAddress, out ushort usedIndex)
    {
        usedIndex = 0;
        if (!Memory.TryTranslateFrontEndAddress(usedFrontEndAddress, out ulong used)
            || !Memory.TryGetSpan(used + 2, 2, out var index))
        {
            return false;
        }
        usedIndex = BinaryPrimitives.ReadUInt16LittleEndian(index);
        return true;
    }

    /// <summary>The regions as the state file keeps them, each with the slot whose stored fd maps it (<see cref="FdSlotOf"/>).</summary>
    public SnapshotMemoryRegion[] Snapshot() => _slots.Select(m => new SnapshotMemoryRegion(m.Index, m.Region, FdSlotOf(m))).ToArray();

    /// <summary>
    /// Maps the regions of a state file from connection <paramref name="connectionId"/>'s stored fds; each fd taken is
    /// added to <paramref name="adopted"/>. Returns "" or the problem.
    /// </summary>
    public string Restore(IReadOnlyList<SnapshotMemoryRegion> regions, int connectionId, IReadOnlyDictionary<FdStoreName, int> fds, HashSet<int> adopted)
    {
        foreach (var (slot, region, fdSlot) in regions)
        {
            if (!fds.TryGetValue(FdStoreName.Memory(connectionId, fdSlot), out int stored))
            {
                return $"{FdStoreName.Memory(connectionId, fdSlot)} is missing";
            }
            // Each slot owns an fd of its own (closed with its region); a region sharing another's file gets a duplicate.
            int fd = adopted.Contains(stored) ? LibC.Fcntl(stored, LibC.F_DUPFD_CLOEXEC, 0) : stored;
            if (fd < 0)
            {
                return $"could not duplicate {FdStoreName.Memory(connectionId, fdSlot)} (errno {LibC.LastErrno})";
            }
            adopted.Add(fd);
            if (!TryRestore(slot, region, fd, out string error))
            {
                return $"memory region slot {slot}: {error}";
            }
        }
        return "";
    }
}
