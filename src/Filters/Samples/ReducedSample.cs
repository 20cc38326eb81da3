using Sync.Filters.Time;

namespace Sync.Filters.Samples;

/// <summary>
/// One PHC reading reduced to a single pair: LocalTime is the system clock (CLOCK_REALTIME) at the chosen
/// samples' midpoint, Reference the PHC at that same moment, in the PHC's own scale. Delay is the (mean) round
/// trip of the samples used, Error the half-width in which the pairing is right (max(delay/2, precision)).
/// </summary>
public sealed record ReducedSample(Instant<Utc> LocalTime, ScaledInstant Reference, Duration Delay, Duration Error, int SamplesUsed);
