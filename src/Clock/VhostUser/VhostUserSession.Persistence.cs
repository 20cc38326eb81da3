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

    public ConnectionSnapshot Snapshot() => new(Id, _ackedFeatures, (ulong)_protocolFeatures, _status, _memory.Snapshot(), _vrings.Snapshot())
    {
        DeviceState = _device is IPersistentVirtioDevice persistent ? persistent.SaveState() : [],
    };

    /// <summary>
    /// Takes the state of <paramref name="snapshot"/> with the stored <paramref name="fds"/>: the memory table maps its
    /// regions (<see cref="VhostUserMemoryTable.Restore"/>), the vring table restores the vrings with their fds
    /// (<see cref="VringTable.Restore"/>), then features, status and the device's own state. Every fd taken is added to
    /// <paramref name="adopted"/>. Returns "" or the problem.
    /// </summary>
    public string Restore(ConnectionSnapshot snapshot, IReadOnlyDictionary<FdStoreName, int> fds, HashSet<int> adopted)
    {
        // The vrings' count first: nothing is taken when the state does not fit this device.
        if (snapshot.Vrings.Count > _vrings.Count)
        {
            return $"state has {snapshot.Vrings.Count} vrings, the device has {_vrings.Count} queues";
        }
        string problem = _memory.Restore(snapshot.Regions, Id, fds, adopted);
        if (problem.Length == 0)
        {
            problem = _vrings.Restore(snapshot.Vrings, Id, fds, adopted, _memory);
        }
        if (problem.Length > 0)
        {
            return problem;
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
