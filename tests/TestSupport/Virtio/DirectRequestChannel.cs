using Sync.Clock.Virtio;
using Sync.Clock.Virtio.Rtc;

namespace Sync.TestSupport;

/// <summary>A request channel that hands each request straight to a device's ProcessRequest (no virtqueue).</summary>
public sealed class DirectRequestChannel(IVirtioDevice device, int queueIndex = VirtioRtcConstants.RequestQueueIndex) : IVirtioRequestChannel
{
    public int Submit(ReadOnlySpan<byte> request, Span<byte> response) =>
        device.ProcessRequest(queueIndex, request, response);
}
