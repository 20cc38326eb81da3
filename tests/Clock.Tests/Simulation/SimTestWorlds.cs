using Sync.Clock.Simulation;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.Simulation;

/// <summary>Worlds and instants shared by the simulation tests.</summary>
internal static class SimTestWorlds
{
    public const long NsPerSecond = 1_000_000_000L;

    /// <summary>2027-01-01T00:00:00Z, where the tests put a synthetic inserted leap second.</summary>
    public static readonly Instant<Utc> LeapMidnight = Utc(2027, 1, 1);

    public static Instant<Utc> Utc(int year, int month, int day, int hour = 0, int minute = 0, double second = 0) =>
        new((new DateTimeOffset(year, month, day, hour, minute, 0, TimeSpan.Zero) - DateTimeOffset.UnixEpoch).Ticks * 100
            + (long)Math.Round(second * NsPerSecond));

    public static LeapSecondTable TableWithInsertedLeap() => LeapSecondTable.Embedded.WithLeap(LeapMidnight, 1);
    public static LeapSecondTable TableWithDeletedLeap() => LeapSecondTable.Embedded.WithLeap(LeapMidnight, -1);

    public static SimulatedWorld WorldAt(Instant<Utc> start, LeapSecondTable? table = null) =>
        SimulatedWorld.StartingAtUtc(start, table ?? LeapSecondTable.Embedded);

    public static SimulatedSystemClock GuestClock(SimulatedWorld world, double offsetPpm = 0, double initialOffsetMs = 0, ulong seed = 1) =>
        new(world, new Oscillator(new OscillatorSettings { OffsetPpm = offsetPpm }, seed, world.StartTrueNs), Duration.FromMilliseconds(initialOffsetMs));

    public static void AdvanceSeconds(SimulatedWorld world, double seconds) => world.AdvanceBy((long)Math.Round(seconds * NsPerSecond));
}
