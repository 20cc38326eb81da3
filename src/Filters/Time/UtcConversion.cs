namespace Sync.Filters.Time;

/// <summary>
/// A reading turned into UTC. The true UTC lies within Utc ± Ambiguity (zero when the scale converts exactly).
/// BeyondTableExpiry: the leap-second table had expired at that instant, so a leap it does not know may have
/// happened (TAI and smeared readings could be off by whole seconds). On failure Error says why and the other
/// fields are meaningless.
/// </summary>
public readonly record struct UtcConversion(Instant<Utc> Utc, Duration Ambiguity, bool BeyondTableExpiry, string? Error)
{
    public bool IsSuccess => Error is null;

    public static UtcConversion Failed(string error) => new(default, Duration.Zero, false, error);
}
