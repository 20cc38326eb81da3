using Sync.Filters.Time;

namespace Sync.Filters.Leap;

/// <summary>A table from text or the copy embedded in this assembly, and the choice between a file's table and the embedded one.</summary>
public sealed partial class LeapSecondTable
{
    private const string EmbeddedResourceName = "Sync.Filters.Leap.leap-seconds.list";

    private static readonly Lazy<LeapSecondLoadResult> EmbeddedResult = new(ParseEmbedded);

    /// <summary>
    /// The leap-seconds.list compiled into this assembly (tzdata 2025b: last leap 2017-01-01, TAI-UTC 37 s,
    /// expires 2026-06-28).
    /// </summary>
    public static LeapSecondTable Embedded =>
        EmbeddedResult.Value.Table ?? throw new InvalidOperationException($"embedded leap-seconds.list is unusable: {EmbeddedResult.Value.Error}");

    /// <summary>Parse leap-seconds.list text; never throws.</summary>
    public static LeapSecondLoadResult Parse(string text) => LeapSecondListParser.Parse(text);

    /// <summary>Parse leap-seconds.list text and warn if it has expired at now; never throws.</summary>
    public static LeapSecondLoadResult Parse(string text, Instant<Utc> now) => LeapSecondListParser.Parse(text, now);

    /// <summary>
    /// The table to use: the one read from <paramref name="path"/> (by the caller, at the edge: the core reads no
    /// files) when it is usable and not older than the embedded copy, else the embedded copy. Never throws.
    /// Warnings (to log once) say what was wrong, which table is in use, and whether it has expired at now.
    /// </summary>
    public static LeapSecondTable ChooseOverEmbedded(LeapSecondLoadResult loaded, string path, Instant<Utc> now, out IReadOnlyList<string> warnings)
    {
        var list = new List<string>();
        var embedded = Embedded;
        LeapSecondTable chosen;
        if (loaded.Table is null)
        {
            list.AddRange(loaded.Warnings);
            list.Add($"{loaded.Error}; using the embedded leap-second table (expires {FormatExpiry(embedded)})");
            chosen = embedded;
        }
        else if (ExpiresBefore(loaded.Table, embedded))
        {
            list.Add($"{path} expires {FormatExpiry(loaded.Table)}, before the embedded leap-second table ({FormatExpiry(embedded)}); using the embedded table");
            chosen = embedded;
        }
        else
        {
            list.AddRange(loaded.Warnings.Where(w => !w.Contains("expired on", StringComparison.Ordinal)));
            chosen = loaded.Table;
        }
        if (chosen.IsExpiredAt(now))
            list.Add(LeapSecondListParser.ExpiredWarning(chosen));
        warnings = list;
        return chosen;
    }

    private static bool ExpiresBefore(LeapSecondTable table, LeapSecondTable other) =>
        other.Expires is { } otherExpiry && table.Expires is { } expiry && expiry < otherExpiry
        && table.Entries.Count <= other.Entries.Count;

    private static string FormatExpiry(LeapSecondTable table) =>
        table.Expires is { } e ? LeapSecondListParser.FormatDate(e) : "never";

    private static LeapSecondLoadResult ParseEmbedded()
    {
        using var stream = typeof(LeapSecondTable).Assembly.GetManifestResourceStream(EmbeddedResourceName);
        if (stream is null)
            return LeapSecondLoadResult.Failed($"resource {EmbeddedResourceName} missing from the assembly");
        using var reader = new StreamReader(stream);
        return LeapSecondListParser.Parse(reader.ReadToEnd());
    }
}
