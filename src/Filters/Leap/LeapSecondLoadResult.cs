using Sync.Filters.Time;

namespace Sync.Filters.Leap;

/// <summary>
/// The outcome of parsing or loading a leap-seconds.list: the table when usable (Error is null), warnings to
/// log once (no hash, expired, ...), and a reason when the text is unusable (Table is null).
/// </summary>
public sealed record LeapSecondLoadResult(
    LeapSecondTable? Table,
    IReadOnlyList<string> Warnings,
    string? Error,
    Instant<Utc>? LastUpdated = null)
{
    public bool IsUsable => Table is not null && Error is null;

    public static LeapSecondLoadResult Failed(string error, IReadOnlyList<string>? warnings = null) =>
        new(null, warnings ?? [], error);
}
