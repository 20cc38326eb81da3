namespace Sync.Clock.Virtio;

/// <summary>Negotiated ring features and the device's size limits for one split virtqueue.</summary>
public sealed record SplitVirtqueueOptions
{
    public bool EventIndex { get; init; }
    public bool IndirectDescriptors { get; init; }

    /// <summary>Largest device-readable total accepted; a longer request is answered with used length 0.</summary>
    public int MaxRequestBytes { get; init; } = 4096;

    /// <summary>Largest response buffer handed to the device; longer writable parts are simply not filled beyond it.</summary>
    public int MaxResponseBytes { get; init; } = 4096;

    /// <summary>Chains taken in one pass before returning (so a busy guest cannot starve the control messages).</summary>
    public int MaxChainsPerPass { get; init; } = 256;

    public static SplitVirtqueueOptions FromFeatures(ulong negotiatedFeatures) => new()
    {
        EventIndex = (negotiatedFeatures & VirtqueueFeatures.EventIndex) != 0,
        IndirectDescriptors = (negotiatedFeatures & VirtqueueFeatures.IndirectDescriptors) != 0,
    };
}
