using Sync.Filters.Time;

namespace Sync.Filters.Samples;

/// <summary>
/// One reduced measurement of the local (system) clock against a reference, both in UTC.
/// Offset = local - reference: positive means the local clock is ahead. Delay is the round trip the
/// reading took (zero for a cross-timestamp); Error is the half-width within which the true offset lies
/// given the delay and the reading's precision.
/// </summary>
public readonly record struct OffsetSample(Instant<Utc> LocalTime, Duration Offset, Duration Delay, Duration Error);
