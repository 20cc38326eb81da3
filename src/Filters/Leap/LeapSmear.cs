using Sync.Filters.Time;

namespace Sync.Filters.Leap;

/// <summary>
/// Smearing and unsmearing leap seconds exactly as the virtio-rtc spec defines NOON_LINEAR and UTC_SLS.
/// </summary>
/// <remarks>
/// <para>Both variants replace the step of a leap second (Effective = the UTC midnight after it, TAI - UTC going
/// from o to n = o + c, c = +1 inserted or -1 deleted) by a linear ramp over a window of W smeared (= UTC
/// calendar) seconds that starts WindowBefore seconds before Effective and ends WindowAfter seconds after it.
/// The window holds W + c TAI seconds, so inside it the smeared clock runs at W / (W + c) of the TAI rate: each
/// smeared second lasts (W + c) / W SI seconds.</para>
/// <list type="bullet">
/// <item>NOON_LINEAR: noon UTC before to noon UTC after, W = 86400: a smeared second lasts 1 ± 1/86400 SI s
/// (the rate changes by 1/86400 of a smeared second, about 11.6 ppm; Google's and AWS's 24 h smear).</item>
/// <item>UTC_SLS (Kuhn's UTC-SLS draft): the last 1000 s of the UTC day holding the leap, 23:43:20 to 24:00:00,
/// W = 1000: an inserted leap maps 1001 TAI seconds onto 1000 smeared seconds (0.1 % slower), a deleted one 999
/// onto 1000.</item>
/// </list>
/// <para>Smeared time equals UTC outside the windows and at both window edges, so it is continuous and never
/// decreases. Forward: smeared = start + floor((tai - taiStart) * W / (W + c)). Inverse: the smallest TAI
/// instant whose smeared time is at or after the given one, so FromTai(ToTai(s)) == s for every s the smeared
/// clock shows, and ToTai(FromTai(t)) is within 1 ns of t.</para>
/// <para>Unspecified (or unknown) variants cannot be converted: these methods throw ArgumentOutOfRangeException
/// for them; check <see cref="IsComputable"/> first (TimeScaleConverter does).</para>
/// </remarks>
public static class LeapSmear
{
    private const long NoonLinearHalfWindowSeconds = 43_200;
    private const long UtcSlsWindowSeconds = 1_000;

    public static bool IsComputable(SmearVariant variant) => variant is SmearVariant.NoonLinear or SmearVariant.UtcSls;

    /// <summary>The smear window of one leap second on the UTC (= smeared) axis: [Start, End).</summary>
    public static (Instant<Utc> Start, Instant<Utc> End) WindowOf(LeapTransition leap, SmearVariant variant)
    {
        var (before, after) = WindowSeconds(variant);
        return (leap.Effective - Seconds(before), leap.Effective + Seconds(after));
    }

    public static Instant<UtcSmeared> FromTai(Instant<Tai> tai, SmearVariant variant, LeapSecondTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var (before, after) = WindowSeconds(variant);
        var transitions = table.Transitions;
        var i = FirstIndex(transitions, leap => TaiEnd(leap, after) > tai.Nanoseconds);
        if (i < transitions.Count)
        {
            var leap = transitions[i];
            var taiStart = TaiStart(leap, before);
            if (taiStart <= tai.Nanoseconds)
            {
                var smearedSeconds = before + after;
                var elapsed = (Int128)(tai.Nanoseconds - taiStart) * smearedSeconds / (smearedSeconds + leap.Change);
                return new Instant<UtcSmeared>(SmearedStart(leap, before) + (long)elapsed);
            }
        }
        return new Instant<UtcSmeared>(table.ToUtc(tai).Nanoseconds);
    }

    public static Instant<Tai> ToTai(Instant<UtcSmeared> smeared, SmearVariant variant, LeapSecondTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var (before, after) = WindowSeconds(variant);
        var transitions = table.Transitions;
        var i = FirstIndex(transitions, leap => SmearedEnd(leap, after) > smeared.Nanoseconds);
        if (i < transitions.Count)
        {
            var leap = transitions[i];
            var smearedStart = SmearedStart(leap, before);
            if (smearedStart <= smeared.Nanoseconds)
            {
                var smearedSeconds = before + after;
                var taiSeconds = smearedSeconds + leap.Change;
                var numerator = (Int128)(smeared.Nanoseconds - smearedStart) * taiSeconds;
                var elapsed = (numerator + smearedSeconds - 1) / smearedSeconds; // ceiling: numerator >= 0
                return new Instant<Tai>(TaiStart(leap, before) + (long)elapsed);
            }
        }
        return table.ToTai(new Instant<Utc>(smeared.Nanoseconds));
    }

    /// <summary>Smeared minus unsmeared UTC at TAI instant tai (zero outside any smear window).</summary>
    public static Duration SmearAt(Instant<Tai> tai, SmearVariant variant, LeapSecondTable table) =>
        new(FromTai(tai, variant, table).Nanoseconds - table.ToUtc(tai).Nanoseconds);

    /// <summary>
    /// Smeared time at a UTC instant. Well defined everywhere except inside an inserted leap second, where POSIX
    /// UTC repeats 23:59:59: the first occurrence is taken (see <see cref="LeapSecondTable.ToTai"/>).
    /// </summary>
    public static Instant<UtcSmeared> FromUtc(Instant<Utc> utc, SmearVariant variant, LeapSecondTable table) =>
        FromTai(table.ToTai(utc), variant, table);

    /// <summary>
    /// POSIX UTC at a smeared instant (inside an inserted leap second: the repeated 23:59:59).
    /// ToUtc(FromUtc(u)) is u or, inside a window, up to 1 ns earlier (the floor of the forward mapping).
    /// </summary>
    public static Instant<Utc> ToUtc(Instant<UtcSmeared> smeared, SmearVariant variant, LeapSecondTable table) =>
        table.ToUtc(ToTai(smeared, variant, table));

    private static (long Before, long After) WindowSeconds(SmearVariant variant) => variant switch
    {
        SmearVariant.NoonLinear => (NoonLinearHalfWindowSeconds, NoonLinearHalfWindowSeconds),
        SmearVariant.UtcSls => (UtcSlsWindowSeconds, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant,
            "only NOON_LINEAR and UTC_SLS smears are defined precisely enough to convert"),
    };

    private static Duration Seconds(long s) => new(s * Duration.NanosecondsPerSecond);

    private static long SmearedStart(LeapTransition leap, long before) =>
        leap.Effective.Nanoseconds - before * Duration.NanosecondsPerSecond;

    private static long SmearedEnd(LeapTransition leap, long after) =>
        leap.Effective.Nanoseconds + after * Duration.NanosecondsPerSecond;

    private static long TaiStart(LeapTransition leap, long before) =>
        SmearedStart(leap, before) + leap.TaiMinusUtcBefore * Duration.NanosecondsPerSecond;

    private static long TaiEnd(LeapTransition leap, long after) =>
        SmearedEnd(leap, after) + leap.TaiMinusUtcAfter * Duration.NanosecondsPerSecond;

    /// <summary>First index where the monotone predicate holds, Count if none.</summary>
    private static int FirstIndex(IReadOnlyList<LeapTransition> transitions, Func<LeapTransition, bool> predicate)
    {
        int lo = 0, hi = transitions.Count;
        while (lo < hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (predicate(transitions[mid])) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }
}
