namespace Sync.Clock.Virtio;

/// <summary>
/// The guest driver's view of a request queue: put one request and a response buffer on the queue, wait
/// for the device, get the used length. Implemented directly over an <see cref="IVirtioDevice"/> (tests) and
/// over a real split virtqueue in memory (simulate).
/// </summary>
public interface IVirtioRequestChannel
{
    /// <summary>Returns the used length the device reported for this request.</summary>
    int Submit(ReadOnlySpan<byte> request, Span<byte> response);
}
