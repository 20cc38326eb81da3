using Sync.Daemon.Hosting;

namespace Sync.Daemon.Tests;

public sealed class PublisherTests
{
    [Fact]
    public void PublishSetsCurrentAndSurvivesAFailingSubscriber()
    {
        var publisher = new SyncStatusPublisher();
        Assert.Null(publisher.Current);
        int seen = 0;
        publisher.Updated += _ => throw new InvalidOperationException("broken telemetry");
        publisher.Updated += _ => seen++;
        var snapshot = Snapshots.Tracking();
        publisher.Publish(snapshot);
        publisher.Publish(snapshot);
        Assert.Same(snapshot, publisher.Current);
        Assert.Equal(2, seen);
        Assert.Equal(2, publisher.SubscriberFailures);
    }
}
