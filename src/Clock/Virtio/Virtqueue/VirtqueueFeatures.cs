namespace Sync.Clock.Virtio;

/// <summary>Virtio feature bits the split virtqueue code knows (transport features).</summary>
public static class VirtqueueFeatures
{
    public const int NotifyOnEmptyBit = 24;
    public const int IndirectDescriptorsBit = 28;
    public const int EventIndexBit = 29;
    public const int Version1Bit = 32;
    public const int AccessPlatformBit = 33;

    public const ulong NotifyOnEmpty = 1ul << NotifyOnEmptyBit;
    public const ulong IndirectDescriptors = 1ul << IndirectDescriptorsBit;
    public const ulong EventIndex = 1ul << EventIndexBit;
    public const ulong Version1 = 1ul << Version1Bit;
    public const ulong AccessPlatform = 1ul << AccessPlatformBit;
}
