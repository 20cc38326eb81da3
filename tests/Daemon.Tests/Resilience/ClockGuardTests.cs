using Microsoft.Extensions.Time.Testing;
using Sync.Clock.Abstractions;
using Sync.Daemon.Configuration;
using Sync.Daemon.Resilience;

namespace Sync.Daemon.Tests.Resilience;

public sealed class ClockGuardTests
{
    [Fact]
    public void TheGuardIsTunedByTheSourcesKeys()
    {
        var guard = ClockGuard.Options(new SourcesOptions { ReadTimeoutMs = 750, ReadRetries = 5, CircuitBreakSeconds = 30, ReattachIntervalSeconds = 10 });

        Assert.Equal(TimeSpan.FromMilliseconds(750), guard.ReadTimeout);
        Assert.Equal(5, guard.MaxRetryAttempts);
        Assert.Equal(TimeSpan.FromSeconds(30), guard.BreakDuration);
        Assert.Equal(TimeSpan.FromSeconds(10), guard.ReattachInterval);
        Assert.Equal(new ClockReadPolicyOptions(), ClockGuard.Options(new SourcesOptions()));
    }

    [Fact]
    public void AGuardedClockIsTimeBoundedAroundTheReattachingRetryingClock()
    {
        var guest = new ToyGuest();
        var options = ClockGuard.Options(new SourcesOptions { ReadTimeoutMs = 750 });
        var opens = 0;

        using var guarded = ClockGuard.Guard(new ReferenceClockInfo("/dev/ptp0", "Virtio PTP type 0/variant 0", Filters.Time.ClockScale.Utc),
            () => { opens++; return ClockResult<IReferenceClock>.Ok(new ToyPhc(guest, "/dev/ptp0")); }, options, new FakeTimeProvider());

        Assert.Equal(TimeSpan.FromMilliseconds(750), guarded.ReadTimeout);
        Assert.IsType<ResilientReferenceClock>(guarded.Inner);
        Assert.True(guarded.Read(3).IsOk);
        Assert.Equal(1, opens);
    }
}
