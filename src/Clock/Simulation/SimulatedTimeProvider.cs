namespace Sync.Clock.Simulation;

/// <summary>
/// A TimeProvider on the simulated world's true time, for components that ask for "now" (logs, telemetry
/// timestamps): UTC is true UTC, timestamps are true nanoseconds. Simulated time does not pass by itself, so
/// timers are not offered: the runner drives time.
/// </summary>
public sealed class SimulatedTimeProvider(SimulatedWorld world) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddTicks(Math.DivRem(world.TrueUtcNow.Nanoseconds, 100).Quotient);
    public override long GetTimestamp() => world.TrueNs;
    public override long TimestampFrequency => 1_000_000_000L;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        throw new NotSupportedException("simulated time only moves when the runner advances it; timers are not simulated");
}
