using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Sync.Clock.Virtio;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>
/// Surviving a restart or crash: after every state-changing message the connection brings the fd store up to date
/// (remove-then-store for each fd that changed) and rewrites its state file; a new process restores the connection
/// from both (<see cref="TryRestore"/>) and continues on the same socket, so the front end does not notice.
/// </summary>
public sealed partial class VhostUserConnection
{
    private static bool ChangesState(VhostUserRequest request) => request switch
    {
        VhostUserRequest.GetFeatures or VhostUserRequest.GetProtocolFeatures or VhostUserRequest.GetQueueNum
            or VhostUserRequest.GetMaxMemSlots or VhostUserRequest.GetConfig or VhostUserRequest.GetStatus
            or VhostUserRequest.SetOwner => false,
        _ => true,
    };

    private void ClearMemory()
    {
        _memory.Clear();
        foreach (var slot in _memorySlots)
        {
            LibC.CloseQuietly(slot.Fd);
        }
        _memorySlots.Clear();
    }

    /// <summary>The fds this connection holds now, by store name.</summary>
    private Dictionary<string, int> HeldFds()
    {
        var held = new Dictionary<string, int> { [FdStoreName.Socket(Id).ToString()] = _socketFd };
        foreach (var slot in _memorySlots)
        {
            if (FdSlotOf(slot) == slot.Slot)
            {
                held[FdStoreName.Memory(Id, slot.Slot).ToString()] = slot.Fd;
            }
        }
        for (int q = 0; q < _vrings.Length; q++)
        {
            var vring = _vrings[q];
            if (vring.KickFd >= 0) held[FdStoreName.Kick(Id, q).ToString()] = vring.KickFd;
            if (vring.CallFd >= 0) held[FdStoreName.Call(Id, q).ToString()] = vring.CallFd;
            if (vring.ErrFd >= 0) held[FdStoreName.Err(Id, q).ToString()] = vring.ErrFd;
        }
        return held;
    }

    /// <summary>
    /// Stores the fds that are new or changed and removes those that are gone, then rewrites the state file.
    /// fd numbers identify changes: a replaced fd is always received while the old one is still open, and this
    /// runs after every message, so a number is never reused under the same name unseen.
    /// </summary>
    private void Persist(bool storeAll = false)
    {
        if (_fdStore is null)
        {
            return;
        }
        var held = HeldFds();
        foreach (var (name, fd) in _storedFds.ToArray())
        {
            if (!held.TryGetValue(name, out int now) || now != fd || storeAll)
            {
                _fdStore.Remove(name);
                _storedFds.Remove(name);
            }
        }
        foreach (var (name, fd) in held)
        {
            if (!_storedFds.ContainsKey(name))
            {
                _fdStore.Store(name, fd);
                _storedFds[name] = fd;
            }
        }
        if (!_stateDirectory!.TryWrite(Snapshot(), out string problem))
        {
            _logger.LogWarning("vhost-user connection {Id}: state file not written, a restart would lose this connection: {Problem}", Id, problem);
        }
    }

    /// <summary>The first slot (in table order) whose fd is the same file as this slot's: its own unless QEMU passed one memfd for two regions.</summary>
    private int FdSlotOf(MemorySlot slot)
    {
        if (!LibC.TryGetFileIdentity(slot.Fd, out var identity))
        {
            return slot.Slot;
        }
        foreach (var other in _memorySlots)
        {
            if (other.Slot == slot.Slot)
            {
                return slot.Slot;
            }
            if (LibC.TryGetFileIdentity(other.Fd, out var otherIdentity) && otherIdentity == identity)
            {
                return other.Slot;
            }
        }
        return slot.Slot;
    }

    private ConnectionSnapshot Snapshot() => new(
        Id,
        _ackedFeatures,
        (ulong)_protocolFeatures,
        _status,
        _memorySlots.Select(m => new SnapshotMemoryRegion(m.Slot, m.Region, FdSlotOf(m))).ToArray(),
        _vrings.Select(v => new SnapshotVring(
            v.Size, v.Queue?.NextAvailIndex ?? v.Base, v.AddressSet, v.Enabled,
            v.KickFd >= 0, v.CallFd >= 0, v.ErrFd >= 0,
            v.DescriptorFrontEndAddress, v.AvailFrontEndAddress, v.UsedFrontEndAddress)).ToArray())
    {
        DeviceState = _device is IPersistentVirtioDevice persistent ? persistent.SaveState() : [],
    };

    /// <summary>The device changed state of its own (an alarm set): the state file is rewritten after the current pass.</summary>
    private void OnDeviceStateChanged() => _deviceStateDirty = true;

    /// <summary>
    /// Takes over a front end from a previous process: <paramref name="fds"/> are this connection's fds from the
    /// store (the socket fd was given to the constructor) and all become owned by this connection. Maps the memory,
    /// restores the vrings with their fds, and sets each running ring's next avail index to the used ring's idx in
    /// guest memory: chains the previous process took but never completed are taken again. Stores everything again
    /// under the same names. On failure the connection is ended (fds closed, removed from the store, state deleted).
    /// Call before <see cref="Start"/>.
    /// </summary>
    internal bool TryRestore(ConnectionSnapshot snapshot, IReadOnlyDictionary<FdStoreName, int> fds, out string problem)
    {
        foreach (var (name, fd) in fds)
        {
            _storedFds[name.ToString()] = fd; // in the store already: removed again if the restore fails
        }
        _storedFds[FdStoreName.Socket(Id).ToString()] = _socketFd;
        var adopted = new HashSet<int> { _socketFd };
        problem = Restore(snapshot, fds, adopted);
        foreach (var (_, fd) in fds)
        {
            if (!adopted.Contains(fd))
            {
                LibC.CloseQuietly(fd);
            }
        }
        if (problem.Length > 0)
        {
            End($"restore failed: {problem}");
            Cleanup();
            return false;
        }
        _restored = true;
        _ownerSet = true; // a connection taken over was set up long ago
        Persist(storeAll: true);
        return true;
    }

    private string Restore(ConnectionSnapshot snapshot, IReadOnlyDictionary<FdStoreName, int> fds, HashSet<int> adopted)
    {
        if (_wakeFd < 0)
        {
            return "could not create the wake eventfd";
        }
        if (snapshot.Vrings.Count > _vrings.Length)
        {
            return $"state has {snapshot.Vrings.Count} vrings, the device has {_vrings.Length} queues";
        }
        foreach (var (slot, region, fdSlot) in snapshot.Regions)
        {
            if (!fds.TryGetValue(FdStoreName.Memory(Id, fdSlot), out int stored))
            {
                return $"{FdStoreName.Memory(Id, fdSlot)} is missing";
            }
            // Each slot owns an fd of its own (closed with its region); a region sharing another's file gets a duplicate.
            int fd = adopted.Contains(stored) ? LibC.Fcntl(stored, LibC.F_DUPFD_CLOEXEC, 0) : stored;
            if (fd < 0)
            {
                return $"could not duplicate {FdStoreName.Memory(Id, fdSlot)} (errno {LibC.LastErrno})";
            }
            adopted.Add(fd);
            _memorySlots.Add(new MemorySlot(slot, region, fd));
            if (!_memory.TryAddRegion(region, fd, out string error))
            {
                return $"memory region slot {slot}: {error}";
            }
        }
        for (int q = 0; q < snapshot.Vrings.Count; q++)
        {
            var saved = snapshot.Vrings[q];
            var vring = _vrings[q];
            if (saved.Size > SplitVirtqueueLayout.MaxSize)
            {
                return $"vring {q} size {saved.Size} out of range";
            }
            vring.Size = saved.Size;
            vring.Base = saved.Base;
            vring.AddressSet = saved.AddressSet;
            vring.Enabled = saved.Enabled;
            vring.DescriptorFrontEndAddress = saved.DescriptorFrontEndAddress;
            vring.AvailFrontEndAddress = saved.AvailFrontEndAddress;
            vring.UsedFrontEndAddress = saved.UsedFrontEndAddress;
            if (!TryAdoptEventFd(saved.HasKick, FdStoreName.Kick(Id, q), fds, adopted, ref vring.KickFd, out string kickProblem)
                || !TryAdoptEventFd(saved.HasCall, FdStoreName.Call(Id, q), fds, adopted, ref vring.CallFd, out kickProblem)
                || !TryAdoptEventFd(saved.HasErr, FdStoreName.Err(Id, q), fds, adopted, ref vring.ErrFd, out kickProblem))
            {
                return kickProblem;
            }
            vring.Started = vring.KickFd >= 0;
            if (vring.Started && vring.AddressSet && TryReadUsedIndex(vring, out ushort usedIndex))
            {
                vring.Base = usedIndex;
            }
        }
        _ackedFeatures = snapshot.AckedFeatures;
        _protocolFeatures = (VhostUserProtocolFeatures)snapshot.ProtocolFeatures;
        _status = snapshot.Status;
        if (_ackedFeatures != 0)
        {
            _device.SetDriverFeatures(_ackedFeatures & ~VhostUserHeader.ProtocolFeaturesBit);
        }
        if (snapshot.DeviceState.Length > 0 && !(_device is IPersistentVirtioDevice persistent && persistent.RestoreState(snapshot.DeviceState)))
        {
            // Not worth dropping the VM for: it keeps its rings, only the device's own state (alarms) starts afresh.
            _logger.LogWarning("vhost-user connection {Id}: the device state in the state file does not fit this device; alarms start afresh", Id);
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
        slot = fd;
        adopted.Add(fd);
        return true;
    }

    private bool TryReadUsedIndex(VringState vring, out ushort usedIndex)
    {
        usedIndex = 0;
        if (!_memory.TryTranslateFrontEndAddress(vring.UsedFrontEndAddress, out ulong used)
            || !_memory.TryGetSpan(used + 2, 2, out var index))
        {
            return false;
        }
        usedIndex = BinaryPrimitives.ReadUInt16LittleEndian(index);
        return true;
    }

    /// <summary>
    /// First thing on a restored connection's thread: the previous process may have published used entries without
    /// signalling, or drained a kick without processing it. One call per running ring (a spurious interrupt is
    /// harmless: the driver finds nothing new) and one pass over each ring.
    /// </summary>
    private void ResumeRestoredQueues()
    {
        for (int q = 0; q < _vrings.Length; q++)
        {
            if (IsRunnable(q))
            {
                if (_vrings[q].CallFd >= 0)
                {
                    EventFds.Signal(_vrings[q].CallFd);
                }
                ProcessQueue(q);
            }
        }
        _logger.LogInformation("vhost-user connection {Id}: restored after a restart ({Regions} memory regions, next avail {Bases})",
            Id, _memorySlots.Count, string.Join(", ", _vrings.Select(v => v.Queue?.NextAvailIndex ?? v.Base)));
    }
}
