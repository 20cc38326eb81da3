namespace Sync.Clock.Virtio;

/// <summary>Why a descriptor chain was refused (answered with used length 0).</summary>
public enum ChainRejection
{
    None,
    NextOutOfRange,
    ChainTooLong,
    IndirectNotNegotiated,
    IndirectWithNext,
    NestedIndirect,
    BadIndirectLength,
    IndirectTableOutsideMemory,
    BufferOutsideMemory,
    ReadableAfterWritable,
    RequestTooLarge,
    DeviceFault,
}
