using Microsoft.Extensions.Logging;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio;

namespace Sync.Clock.VhostUser;

/// <summary>
/// The device's queues served from a session's rings: a runnable vring gets its <see cref="SplitVirtqueue"/> (built from
/// the front end's addresses through the memory table, with the negotiated features), every pass hands the available
/// chains to the device and signals the driver's call (or leaves it to the caller to defer), a broken ring is reported
/// once on its err fd, and a device state change is persisted after the pass.
/// </summary>
/// <param name="ackedFeatures">The features the driver acknowledged (they shape the rings).</param>
internal sealed class DeviceQueues(int id, IVirtioDevice device, VhostUserServerOptions options, ILogger logger, IVhostUserSessionHost host,
    VringTable vrings, VhostUserMemoryTable memoryTable, Func<ulong> ackedFeatures)
{
    /// <summary>The device changed state of its own (an alarm set): persisted after the current pass.</summary>
    public bool DeviceStateDirty { get; set; }

    public long RequestsCompleted { get; private set; }
    public long ChainsRejected { get; private set; }

    /// <summary>
    /// Serves what the driver made available on queue <paramref name="q"/> (after a kick or a device notification).
    /// The driver's call is signalled here, or with <paramref name="deferCall"/> left to the caller: true when one is
    /// due (then <see cref="SignalCalls"/> must follow soon).
    /// </summary>
    public bool Process(int q, bool deferCall = false)
    {
        if (!vrings.IsRunnable(q))
        {
            return false;
        }
        var vring = vrings[q];
        vring.Queue ??= BuildQueue(vring);
        if (vring.Queue is null)
        {
            return false;
        }
        bool callDue = false;
        VirtqueuePassResult result;
        do
        {
            result = vring.Queue.Process(device, q);
            RequestsCompleted += result.Completed;
            ChainsRejected += result.Rejected;
            if (result.NotifyDriver && vring.CallFd >= 0)
            {
                if (deferCall)
                {
                    callDue = true;
                }
                else
                {
                    EventFds.Signal(vring.CallFd);
                }
            }
        }
        while (result.MorePending && !host.StopRequested);
        if (DeviceStateDirty)
        {
            DeviceStateDirty = false;
            host.Persist(); // e.g. an alarm was set: a restarted process must keep it
        }
        if (vring.Queue.IsBroken && !vring.ReportedBroken)
        {
            vring.ReportedBroken = true;
            logger.LogWarning("vhost-user connection {Id}: queue {Queue} needs reset: {Reason}", id, q, vring.Queue.BrokenReason);
            if (vring.ErrFd >= 0)
            {
                EventFds.Signal(vring.ErrFd);
            }
        }
        return callDue;
    }

    /// <summary>Signals the call fd of each queue in <paramref name="queueMask"/> that has one now (calls deferred by <see cref="Process"/>).</summary>
    public void SignalCalls(int queueMask)
    {
        for (int q = 0; q < vrings.Count && q < 32; q++)
        {
            if ((queueMask & (1 << q)) != 0 && vrings[q].CallFd >= 0)
            {
                EventFds.Signal(vrings[q].CallFd);
            }
        }
    }

    private SplitVirtqueue? BuildQueue(VringState vring)
    {
        var memory = memoryTable.Memory;
        if (!memory.TryTranslateFrontEndAddress(vring.DescriptorFrontEndAddress, out ulong table)
            || !memory.TryTranslateFrontEndAddress(vring.AvailFrontEndAddress, out ulong avail)
            || !memory.TryTranslateFrontEndAddress(vring.UsedFrontEndAddress, out ulong used))
        {
            // Build a queue that reports itself broken, so the reason is logged once and err fd signalled.
            return new SplitVirtqueue(memory, new SplitVirtqueueLayout(0, 0, 0, 0), RingOptions(), vring.Base);
        }
        return new SplitVirtqueue(memory, new SplitVirtqueueLayout(vring.Size, table, avail, used), RingOptions(), vring.Base);
    }

    private SplitVirtqueueOptions RingOptions() => SplitVirtqueueOptions.FromFeatures(ackedFeatures()) with
    {
        MaxRequestBytes = options.MaxRequestBytes,
        MaxResponseBytes = options.MaxResponseBytes,
    };
}
