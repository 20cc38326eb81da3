namespace Sync.Filters.Time;

/// <summary>
/// A point on one time scale, in integer nanoseconds since 1970-01-01 of that scale (for Monotonic: since its
/// own epoch). Instants of different scales are different types: converting between them needs a
/// <see cref="Leap.LeapSecondTable"/> or a smear, never a cast.
/// </summary>
public readonly record struct Instant<TScale>(long Nanoseconds) : IComparable<Instant<TScale>>
    where TScale : struct, ITimeScale
{
    public static TimeScale Scale => TScale.Scale;

    public static Instant<TScale> FromSeconds(long seconds, long nanoseconds = 0) =>
        new(checked(seconds * Duration.NanosecondsPerSecond + nanoseconds));

    public long WholeSeconds => Math.DivRem(Nanoseconds, Duration.NanosecondsPerSecond) is (var q, var r) && r < 0 ? q - 1 : q;

    public ScaledInstant ToScaled(SmearVariant variant = SmearVariant.Unspecified) => new(new ClockScale(TScale.Scale, variant), Nanoseconds);

    public static Instant<TScale> operator +(Instant<TScale> t, Duration d) => new(t.Nanoseconds + d.Nanoseconds);
    public static Instant<TScale> operator -(Instant<TScale> t, Duration d) => new(t.Nanoseconds - d.Nanoseconds);
    public static Duration operator -(Instant<TScale> a, Instant<TScale> b) => new(a.Nanoseconds - b.Nanoseconds);
    public static bool operator <(Instant<TScale> a, Instant<TScale> b) => a.Nanoseconds < b.Nanoseconds;
    public static bool operator >(Instant<TScale> a, Instant<TScale> b) => a.Nanoseconds > b.Nanoseconds;
    public static bool operator <=(Instant<TScale> a, Instant<TScale> b) => a.Nanoseconds <= b.Nanoseconds;
    public static bool operator >=(Instant<TScale> a, Instant<TScale> b) => a.Nanoseconds >= b.Nanoseconds;

    public int CompareTo(Instant<TScale> other) => Nanoseconds.CompareTo(other.Nanoseconds);
    public override string ToString() => $"{TScale.Scale}:{Nanoseconds}";
}
