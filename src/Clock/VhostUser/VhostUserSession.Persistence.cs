using Microsoft.Extensions.Logging;
using Sync.Clock.Virtio;
using Sync.Clock.Linux.Interop;
using Sync.Clock.VhostUser.Native;

namespace Sync.Clock.VhostUser;

/// <summary>The session's part of surviving a restart: what goes into the state file, and taking it back.</summary>
internal sealed partial class VhostUserSession
{
    private static bool ChangesState(VhostUserRequest request) => request switch
    {
        VhostUserRequest.GetFeatures or VhostUserRequest.GetProtocolFeatures or VhostUserRequest.GetQueueNum
            or VhostUserRequest.GetMaxMemSlots or VhostUserRequest.GetConfig or VhostUserRequest.GetStatus
            or VhostUserRequest.SetOwner => false,
        _ => true,
    };

    public ConnectionSnapshot Snapshot() => new(
        Id,
        _ackedFeatures,
        (ulong)_protocolFeatures,
        _status,
        _memory.Slots.Select(m => new SnapshotMemoryRegion(m.Index, m.Region, _memory.FdSlotOf(m))).ToArray(),
        _vrings.All.Select(v => new SnapshotVring(
            v.Size, v.Queue?.NextAvailIndex ?? v.Base, v.AddressSet, v.Enabled,
            v.KickFd >= 0, v.CallFd >= 0, v.ErrFd >= 0,
            v.DescriptorFrontEndAddress, v.AvailFrontEndAddress, v.UsedFrontEndAddress)).ToArray())
    {
        DeviceState = _device is IPersistentVirtioDevice persistent ? persistent.SaveState() : [],
    };

    /// <summary>
    /// Takes the state of <paramref name="snapshot"/> with the stored <paramref name="fds"/>: maps the memory, restores
    /// the vrings with their fds, and sets each running ring's next avail index to the used ring's idx in guest
    /// memory (chains the previous process took but never completed are taken again). Every fd taken is added to
    /// <paramref name="adopted"/>. Returns "" or the problem.
    /// </summary>
    public string Restore(ConnectionSnapshot snapshot, IReadOnlyDictionary<FdStoreName, int> fds, HashSet<int> adopted)
    {
        if (snapshot.Vrings.Count > _vrings.Count)
        {
            return $"state has {snapshot.Vrings.Count} vrings, the device has {_vrings.Count} queues";
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
            if (!_memory.TryRestore(slot, region, fd, out string error))
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
            if (vring.Started && vring.AddressSet && _memory.TryReadUsedIndex(vring.UsedFrontEndAddress, out ushort usedIndex))
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
        OwnerSet = true; // a connection taken over was set up long ago
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

    /// <summary>
    /// First thing on a restored connection: the previous process may have published used entries without
    /// signalling, or drained a kick without processing it. One call per running ring (a spurious interrupt is
    /// harmless: the driver finds nothing new) and one pass over each ring.
    /// </summary>
    public void ResumeRestoredQueues()
    {
        for (int q = 0; q < _vrings.Count; q++)
        {
            if (_vrings.IsRunnable(q))
            {
                if (_vrings[q].CallFd >= 0)
                {
                    EventFds.Signal(_vrings[q].CallFd);
                }
                ProcessQueue(q);
            }
        }
        _logger.LogInformation("vhost-user connection {Id}: restored after a restart ({Regions} memory regions, next avail {Bases})",
            Id, _memory.Slots.Count, string.Join(", ", _vrings.All.Select(v => v.Queue?.NextAvailIndex ?? v.Base)));
    }
}
