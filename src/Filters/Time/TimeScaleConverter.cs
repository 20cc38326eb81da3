using Sync.Filters.Leap;

namespace Sync.Filters.Time;

/// <summary>
/// Converts a reading of any clock scale to POSIX UTC with a leap-second table, saying how ambiguous the answer is.
/// <list type="bullet">
/// <item>UTC: as is. TAI: the table's ToUtc. UTC_SMEARED with NOON_LINEAR or UTC_SLS: unsmeared exactly.</item>
/// <item>UTC_SMEARED with an unspecified (or unknown) variant, and UTC_MAYBE_SMEARED: within
/// <see cref="LeapAmbiguityZone"/> of a leap second the reading may be a step clock or any monotone smear between
/// the old and the new UTC, so the answer is the middle of every UTC the reading can stand for and Ambiguity its
/// half-width: 0.5 s throughout the zone of an inserted second; for a deleted second 0.5 s except for readings
/// inside the deleted 23:59:59 (only a smear shows it), where it grows to 1 s. Outside the zone
/// the reading is UTC and Ambiguity is exactly zero.</item>
/// <item>Monotonic: not convertible (error).</item>
/// </list>
/// Never throws.
/// </summary>
public static class TimeScaleConverter
{
    /// <summary>
    /// How far from a leap second (each side of the UTC midnight it ends) an unknown smear may still be under
    /// way: one day, which covers noon-to-noon (12 h), UTC-SLS (1000 s) and the longer smears in use (Google's
    /// 2016 20 h smear, chrony's smoothtime at default settings).
    /// </summary>
    public static readonly Duration LeapAmbiguityZone = new(86_400L * Duration.NanosecondsPerSecond);

    private static readonly Duration OneSecond = new(Duration.NanosecondsPerSecond);

    public static UtcConversion ToUtc(ScaledInstant reading, LeapSecondTable table)
    {
        if (table is null)
            return UtcConversion.Failed("no leap-second table");

        switch (reading.Scale.Scale)
        {
            case TimeScale.Utc:
                return Exact(new Instant<Utc>(reading.Nanoseconds), table);
            case TimeScale.Tai:
                return Exact(table.ToUtc(new Instant<Tai>(reading.Nanoseconds)), table);
            case TimeScale.UtcSmeared when LeapSmear.IsComputable(reading.Scale.Variant):
                return Exact(LeapSmear.ToUtc(new Instant<UtcSmeared>(reading.Nanoseconds), reading.Scale.Variant, table), table);
            case TimeScale.UtcSmeared:
            case TimeScale.UtcMaybeSmeared:
                return StepOrAnySmear(new Instant<Utc>(reading.Nanoseconds), table);
            case TimeScale.Monotonic:
                return UtcConversion.Failed("a monotonic clock counts from its own epoch: it says nothing about UTC");
            default:
                return UtcConversion.Failed($"unknown time scale {reading.Scale}: cannot convert to UTC");
        }
    }

    private static UtcConversion Exact(Instant<Utc> utc, LeapSecondTable table) =>
        new(utc, Duration.Zero, table.IsExpiredAt(utc), null);

    /// <summary>
    /// The hull of all UTC instants u a reading r can stand for near a leap (E = Effective, c = change), given
    /// that a step clock shows u and a monotone smear shows a value between old UTC (tai - o) and new UTC (tai - n):
    /// before the step u = tai - o lies between r and r + c and before E (E - 1 s for a deletion, whose
    /// 23:59:59 never happens); after the step u = tai - n lies between r - c and r and at or after E - 1 s for an
    /// insertion (the repeated 23:59:59), E for a deletion.
    /// </summary>
    private static UtcConversion StepOrAnySmear(Instant<Utc> reading, LeapSecondTable table)
    {
        var leap = table.NextTransitionAfter(reading - LeapAmbiguityZone);
        if (leap is not { } l || reading < l.Effective - LeapAmbiguityZone)
            return Exact(reading, table);

        var r = reading.Nanoseconds;
        var shift = l.Change * OneSecond.Nanoseconds;
        var e = l.Effective.Nanoseconds;
        var lastBeforeStep = (l.Change > 0 ? e : e - OneSecond.Nanoseconds) - 1;
        var firstAfterStep = l.Change > 0 ? e - OneSecond.Nanoseconds : e;

        long lo = long.MaxValue, hi = long.MinValue;
        Include(Math.Min(r, r + shift), Math.Min(Math.Max(r, r + shift), lastBeforeStep), ref lo, ref hi);
        Include(Math.Max(Math.Min(r, r - shift), firstAfterStep), Math.Max(r, r - shift), ref lo, ref hi);
        if (lo > hi)
            (lo, hi) = (r - OneSecond.Nanoseconds, r + OneSecond.Nanoseconds);

        var middle = lo + (hi - lo) / 2;
        var utc = new Instant<Utc>(middle);
        return new UtcConversion(utc, new Duration(hi - middle), table.IsExpiredAt(utc), null);
    }

    private static void Include(long from, long to, ref long lo, ref long hi)
    {
        if (from > to)
            return;
        lo = Math.Min(lo, from);
        hi = Math.Max(hi, to);
    }
}
