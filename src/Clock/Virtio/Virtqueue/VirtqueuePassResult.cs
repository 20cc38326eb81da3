namespace Sync.Clock.Virtio;

/// <summary>What one processing pass over a split virtqueue did.</summary>
/// <param name="Completed">Chains answered by the device (used entries with the device's length).</param>
/// <param name="Rejected">Malformed chains answered with used length 0.</param>
/// <param name="NotifyDriver">The driver wants an interrupt (used buffers were added and it did not suppress them).</param>
/// <param name="MorePending">The pass stopped at its chain budget with more available; run it again.</param>
public readonly record struct VirtqueuePassResult(int Completed, int Rejected, bool NotifyDriver, bool MorePending)
{
    public int UsedAdded => Completed + Rejected;
}
