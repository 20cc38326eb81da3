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
                { Simulated: true, Scale: { } scale } => Simulated(serve.Simulated with { Scale = scale }, table, factory.Tai, time),
                { Simulated: true } => Simulated(serve.Simulated, table, factory.Tai, time),
                { Scale: { } scale } => factory.Create(scale, serve.MaybeSmearedVariant),
                _ => throw new ArgumentException("a host clock needs a scale", nameof(serve)),
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
