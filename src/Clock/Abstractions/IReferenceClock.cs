using Sync.Filters.Samples;

namespace Sync.Clock.Abstractions;

/// <summary>A clock the guest reads against its system clock: a real PHC, or a simulated one.</summary>
public interface IReferenceClock : IDisposable
{
    ReferenceClockInfo Info { get; }

    /// <summary>The method the last successful reading used (null before the first).</summary>
    ReadingMethod? Method { get; }

    /// <summary>One reading with up to samplesPerReading samples (1..25), by the best method that works.</summary>
    ClockResult<PhcReading> Read(int samplesPerReading);
}
