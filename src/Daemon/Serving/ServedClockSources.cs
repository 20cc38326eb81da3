using Sync.Clock.Abstractions;
using Sync.Clock.HostClocks;
using Sync.Clock.Simulation;
using Sync.Daemon.Configuration;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Daemon.Serving;

/// <summary>The host clock sources `serve` offers, in clock_id order, from the configuration.</summary>
public static class ServedClockSources
{
    public static IReadOnlyList<IHostClockSource> Create(ServeOptions serve, LeapSecondTable table, HostClockFactory factory, TimeProvider time)
    {
        var sources = new List<IHostClockSource>();
        foreach (var clock in serve.Clocks)
        {
            sources.Add(clock switch
            {
                ServedClock.Utc => factory.Create(ClockScale.Utc),
                ServedClock.Tai => factory.Create(ClockScale.Tai),
                ServedClock.Monotonic => factory.Create(ClockScale.Monotonic),
                ServedClock.UtcSmearedNoon => factory.Create(ClockScale.UtcSmearedNoonLinear),
                ServedClock.UtcSmearedSls => factory.Create(ClockScale.UtcSmearedSls),
                ServedClock.UtcMaybeSmeared => factory.Create(ClockScale.UtcMaybeSmeared, serve.MaybeSmearedVariant),
                ServedClock.SimulatedUtc => Simulated(serve.Simulated with { Scale = ClockScale.Utc }, table, factory.Tai, time),
                ServedClock.SimulatedTai => Simulated(serve.Simulated with { Scale = ClockScale.Tai }, table, factory.Tai, time),
                ServedClock.SimulatedSmearedNoon => Simulated(serve.Simulated with { Scale = ClockScale.UtcSmearedNoonLinear }, table, factory.Tai, time),
                ServedClock.SimulatedSmearedSls => Simulated(serve.Simulated with { Scale = ClockScale.UtcSmearedSls }, table, factory.Tai, time),
                _ => Simulated(serve.Simulated, table, factory.Tai, time),
            });
        }
        return sources;
    }

    /// <summary>
    /// Host TAI plus the configured faults: a constant offset, a rate error from some seconds after start, one
    /// step, and optionally an extra inserted leap second, served in the configured scale.
    /// </summary>
    public static SimulatedHostClock Simulated(SimulatedServedClockOptions o, LeapSecondTable table, IHostClockSource hostTai, TimeProvider time)
    {
        if (o.LeapAtUtc is { } leap)
            table = table.WithLeap(Instant<Utc>.FromSeconds(leap.ToUnixTimeSeconds()), 1);
        var scale = o.Scale;
        var startTaiNs = hostTai.ReadNanoseconds();
        if (o.EpochUnixSeconds > 0)
            startTaiNs -= (long)Math.Round((time.GetUtcNow().ToUnixTimeMilliseconds() / 1e3 - o.EpochUnixSeconds) * 1e9);
        var offsetNs = (long)Math.Round(o.OffsetMs * 1e6);
        var clock = new SimulatedHostClock(scale, () => hostTai.ReadNanoseconds() + offsetNs, table);
        if (o.RatePpm != 0)
            clock.AddRateError(startTaiNs + (long)(o.RateAfterSeconds * 1e9), o.RatePpm);
        if (o.StepMs != 0)
            clock.AddStep(startTaiNs + (long)(o.StepAfterSeconds * 1e9), (long)Math.Round(o.StepMs * 1e6));
        return clock;
    }
}
