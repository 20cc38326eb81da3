using Microsoft.Extensions.Time.Testing;
using Sync.Clock.Abstractions;
using Sync.Daemon.Configuration;
using Sync.Daemon.Serving;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

public sealed class ServedClockSourcesTests
{
    private const long Second = 1_000_000_000L;
    private static readonly DateTimeOffset HostNow = new(2026, 11, 26, 1, 0, 0, TimeSpan.Zero);

    private sealed class SettableTai(long ns) : IHostClockSource
    {
        public long Ns = ns;
        public ClockScale Scale => ClockScale.Tai;
        public long ReadNanoseconds() => Ns;
    }

    private static long HostTaiNs(DateTimeOffset utc) => (utc.ToUnixTimeSeconds() + 37) * Second;

    /// <summary>serve:smearVariant is what a utc-maybe-smeared clock does: none steps (CLOCK_REALTIME), noon and sls smear.</summary>
    [Theory]
    [InlineData("none", false)]
    [InlineData("noon", true)]
    [InlineData("sls", true)]
    public void Smear_variant_decides_what_utc_maybe_smeared_serves(string variant, bool smears)
    {
        var serve = new ServeOptions { Clocks = [ServedClock.Host(ClockScale.UtcMaybeSmeared)] } with
        {
            MaybeSmearedVariant = ConfigNames.TryParse(ConfigNames.SmearVariants, variant, out SmearVariant v) ? v : throw new ArgumentException(variant),
        };
        var source = Assert.Single(ServedClockSources.Create(serve, LeapSecondTable.Embedded,
            new Sync.Clock.HostClocks.HostClockFactory(LeapSecondTable.Embedded), TimeProvider.System));
        Assert.Equal(ClockScale.UtcMaybeSmeared, source.Scale);
        Assert.Equal(smears, source is Sync.Clock.HostClocks.SmearedUtcClockSource);
    }

    [Fact]
    public void Simulated_set_passes_the_extra_leap_utc_repeats_a_second_tai_does_not()
    {
        // Served 100 s before the midnight of 2026-11-27, with an extra leap second there.
        var midnight = new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);
        var options = new SimulatedServedClockOptions
        {
            OffsetMs = (midnight - HostNow).TotalMilliseconds - 100_000,
            LeapAtUtc = new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero),
        };
        var host = new SettableTai(HostTaiNs(HostNow));
        var time = new FakeTimeProvider(HostNow);
        var utc = ServedClockSources.Simulated(options with { Scale = ClockScale.Utc }, LeapSecondTable.Embedded, host, time);
        var tai = ServedClockSources.Simulated(options with { Scale = ClockScale.Tai }, LeapSecondTable.Embedded, host, time);
        var smeared = ServedClockSources.Simulated(options with { Scale = ClockScale.UtcSmearedNoonLinear }, LeapSecondTable.Embedded, host, time);

        Assert.Equal(midnight.ToUnixTimeSeconds() - 100, utc.ReadNanoseconds() / Second);
        Assert.Equal(37 * Second, tai.ReadNanoseconds() - utc.ReadNanoseconds());

        host.Ns += 200 * Second;
        Assert.Equal(38 * Second, tai.ReadNanoseconds() - utc.ReadNanoseconds());
        Assert.Equal(midnight.ToUnixTimeSeconds() + 99, utc.ReadNanoseconds() / Second);

        // Noon-linear smear: half the leap second is spread out by midnight, so 0.5 s ahead of UTC after it.
        long smearAheadNs = smeared.ReadNanoseconds() - utc.ReadNanoseconds();
        Assert.InRange(smearAheadNs, Second / 2 - Second / 100, Second / 2 + Second / 100);
    }

    [Fact]
    public void A_restarted_simulated_clock_with_the_same_epoch_serves_the_same_time()
    {
        var epoch = HostNow;
        var options = new SimulatedServedClockOptions
        {
            StepMs = 100, StepAfterSeconds = 120, RatePpm = 30, RateAfterSeconds = 150,
            EpochUnixSeconds = epoch.ToUnixTimeSeconds(),
        };
        var host = new SettableTai(HostTaiNs(epoch));
        var first = ServedClockSources.Simulated(options, LeapSecondTable.Embedded, host, new FakeTimeProvider(epoch));

        var restartedAt = epoch.AddSeconds(200);
        host.Ns = HostTaiNs(restartedAt);
        var restarted = ServedClockSources.Simulated(options, LeapSecondTable.Embedded, host, new FakeTimeProvider(restartedAt));

        Assert.Equal(first.ReadNanoseconds(), restarted.ReadNanoseconds());
        // 100 ms step plus 50 s at +30 ppm (1.5 ms) ahead of host UTC by now.
        long aheadNs = restarted.ReadNanoseconds() - restartedAt.ToUnixTimeSeconds() * Second;
        Assert.InRange(aheadNs, 101_500_000 - 1000, 101_500_000 + 1000);
    }

    [Fact]
    public void Without_an_epoch_the_faults_count_from_the_start()
    {
        var options = new SimulatedServedClockOptions { StepMs = 100, StepAfterSeconds = 120 };
        var host = new SettableTai(HostTaiNs(HostNow));
        var clock = ServedClockSources.Simulated(options, LeapSecondTable.Embedded, host, new FakeTimeProvider(HostNow));
        host.Ns += 119 * Second;
        Assert.Equal(HostNow.ToUnixTimeSeconds() + 119, clock.ReadNanoseconds() / Second);
        host.Ns += 2 * Second;
        Assert.Equal(100_000_000, clock.ReadNanoseconds() - (HostNow.ToUnixTimeSeconds() + 121) * Second);
    }

    /// <summary>
    /// Every serve:clocks name gives a source in the scale its name says: a host scale by its own name (from
    /// ClockScale.Names), simulated-X the simulated clock in X, and simulated the one in serve:simulated:scale.
    /// </summary>
    [Fact]
    public void Every_served_clock_name_serves_the_scale_it_names()
    {
        var simulatedScale = ClockScale.UtcSmearedSls;
        var factory = new Sync.Clock.HostClocks.HostClockFactory(LeapSecondTable.Embedded);
        foreach (var (name, clock) in ConfigNames.ServedClocks)
        {
            var serve = new ServeOptions { Clocks = [clock], Simulated = new SimulatedServedClockOptions { Scale = simulatedScale } };
            var source = Assert.Single(ServedClockSources.Create(serve, LeapSecondTable.Embedded, factory, TimeProvider.System));
            var expected = name == "simulated" ? simulatedScale
                : ClockScale.TryParse(name.StartsWith("simulated-smeared-", StringComparison.Ordinal) ? "utc-" + name["simulated-".Length..]
                    : name.StartsWith("simulated-", StringComparison.Ordinal) ? name["simulated-".Length..] : name, out var s) ? s
                : throw new InvalidOperationException($"serve:clocks name {name} is not a scale's name");
            Assert.Equal(expected, source.Scale);
            Assert.Equal(name.StartsWith("simulated", StringComparison.Ordinal), source is Sync.Clock.Simulation.SimulatedHostClock);
        }
        Assert.Equal(["utc", "tai", "monotonic", "utc-smeared-noon", "utc-smeared-sls", "utc-maybe-smeared", "simulated",
            "simulated-utc", "simulated-tai", "simulated-smeared-noon", "simulated-smeared-sls"], ConfigNames.Names(ConfigNames.ServedClocks));
    }
}
