namespace Sync.Clock.Virtio;

/// <summary>The split ring's flag bits (virtio 1.x, 2.7.5 and 2.7.6): the one table for device and driver side.</summary>
public static class VirtqueueFlags
{
    /// <summary>VIRTQ_DESC_F_NEXT: the chain continues in the descriptor named by next.</summary>
    public const ushort DescriptorNext = 1;
    /// <summary>VIRTQ_DESC_F_WRITE: the buffer is device-writable (otherwise device-readable).</summary>
    public const ushort DescriptorWrite = 2;
    /// <summary>VIRTQ_DESC_F_INDIRECT: the buffer holds a table of descriptors.</summary>
    public const ushort DescriptorIndirect = 4;
    /// <summary>VIRTQ_AVAIL_F_NO_INTERRUPT: the driver asks not to be interrupted (without EVENT_IDX).</summary>
    public const ushort AvailNoInterrupt = 1;
}
