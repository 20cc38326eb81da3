using Sync.Clock.Virtio;
using Sync.Clock.Tests.VhostUser;

namespace Sync.Clock.Tests.Virtio;

public class InMemoryVirtqueueChannelTests
{
    [Fact]
    public void SubmitRunsTheRequestThroughARealSplitRing()
    {
        var device = new EchoDevice();
        var channel = new InMemoryVirtqueueChannel(device);
        var response = new byte[16];

        for (int i = 0; i < 100; i++)
        {
            int used = channel.Submit([(byte)i, 2, 3], response);
            Assert.Equal(4, used);
            Assert.Equal(new byte[] { 0, (byte)i, 2, 3 }, response[..4]);
        }
        Assert.Equal(100, channel.Completed);
        Assert.Equal(100, device.RequestCount);
    }

    [Fact]
    public void UsedLengthIsBoundedByTheResponseBuffer()
    {
        var channel = new InMemoryVirtqueueChannel(new EchoDevice());
        var response = new byte[2];
        Assert.Equal(2, channel.Submit([5, 6, 7, 8], response));
        Assert.Equal(new byte[] { 0, 5 }, response);
    }

    [Fact]
    public void EmptyOrOversizedRequestsAreCallerErrors()
    {
        var channel = new InMemoryVirtqueueChannel(new EchoDevice());
        Assert.Throws<ArgumentException>(() => channel.Submit([], new byte[8]));
        Assert.Throws<ArgumentException>(() => channel.Submit(new byte[5000], new byte[8]));
    }
}
