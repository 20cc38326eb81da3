using Sync.Clock.VhostUser;

namespace Sync.Clock.Tests.VhostUser;

/// <summary>A connection's deadlines without a socket or a loop: times are milliseconds given by the test.</summary>
public class ConnectionTimeoutsTests
{
    private static VhostUserServerOptions Options(double handshakeS, double idleS) => new()
    {
        SocketPath = "/unused",
        HandshakeTimeout = TimeSpan.FromSeconds(handshakeS),
        IdleTimeout = TimeSpan.FromSeconds(idleS),
    };

    [Fact]
    public void WithoutSetOwner_TheHandshakeDeadlineCountsFromTheAccept()
    {
        var timeouts = new ConnectionTimeouts(Options(10, 0), acceptedMs: 1_000);
        timeouts.Active(5_000); // activity does not extend the handshake
        Assert.Equal(11_000, timeouts.NextDeadlineMs(ownerSet: false));
        Assert.Null(timeouts.TimedOut(ownerSet: false, nowMs: 10_999));
        Assert.Contains("serve:handshakeTimeoutSeconds", timeouts.TimedOut(ownerSet: false, nowMs: 11_000));
        Assert.Equal(long.MaxValue, timeouts.NextDeadlineMs(ownerSet: true));
        Assert.Null(timeouts.TimedOut(ownerSet: true, nowMs: 1_000_000));
    }

    [Fact]
    public void TheIdleDeadlineMovesWithActivity_AndTheNearerDeadlineIsNext()
    {
        var timeouts = new ConnectionTimeouts(Options(10, 3), acceptedMs: 0);
        Assert.Equal(3_000, timeouts.NextDeadlineMs(ownerSet: false));
        timeouts.Active(9_000);
        Assert.Equal(10_000, timeouts.NextDeadlineMs(ownerSet: false));
        Assert.Equal(12_000, timeouts.NextDeadlineMs(ownerSet: true));
        Assert.Null(timeouts.TimedOut(ownerSet: true, nowMs: 11_999));
        Assert.Contains("serve:idleTimeoutSeconds", timeouts.TimedOut(ownerSet: true, nowMs: 12_000));
    }
}
