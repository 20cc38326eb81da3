namespace Sync.Clock.Virtio;

/// <summary>
/// Guest memory as a device sees it: guest-physical addresses translated, bounds-checked, into host spans.
/// A span is only handed out when the whole range [address, address + length) lies inside one mapped
/// region; everything else (unmapped, straddling regions, address + length overflowing) is refused.
/// Spans stay valid until the memory table changes; callers use them within one processing pass.
/// </summary>
public interface IGuestMemory
{
    bool TryGetSpan(ulong guestPhysicalAddress, uint length, out Span<byte> span);
}
