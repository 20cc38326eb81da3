namespace Sync.Filters.Time;

/// <summary>A signed span of time in integer nanoseconds; it belongs to no time scale.</summary>
public readonly record struct Duration(long Nanoseconds) : IComparable<Duration>
{
    public const long NanosecondsPerSecond = 1_000_000_000L;

    public static Duration Zero => default;
    public static Duration FromNanoseconds(long ns) => new(ns);
    public static Duration FromMicroseconds(double us) => new((long)Math.Round(us * 1e3));
    public static Duration FromMilliseconds(double ms) => new((long)Math.Round(ms * 1e6));
    public static Duration FromSeconds(double s) => new((long)Math.Round(s * 1e9));

    public double TotalSeconds => Nanoseconds / 1e9;
    public double TotalMicroseconds => Nanoseconds / 1e3;
    public Duration Abs() => new(Math.Abs(Nanoseconds));

    public static Duration operator +(Duration a, Duration b) => new(a.Nanoseconds + b.Nanoseconds);
    public static Duration operator -(Duration a, Duration b) => new(a.Nanoseconds - b.Nanoseconds);
    public static Duration operator -(Duration a) => new(-a.Nanoseconds);
    public static Duration operator *(Duration a, long k) => new(a.Nanoseconds * k);
    public static Duration operator /(Duration a, long k) => new(a.Nanoseconds / k);
    public static bool operator <(Duration a, Duration b) => a.Nanoseconds < b.Nanoseconds;
    public static bool operator >(Duration a, Duration b) => a.Nanoseconds > b.Nanoseconds;
    public static bool operator <=(Duration a, Duration b) => a.Nanoseconds <= b.Nanoseconds;
    public static bool operator >=(Duration a, Duration b) => a.Nanoseconds >= b.Nanoseconds;
    public static Duration Max(Duration a, Duration b) => a >= b ? a : b;
    public static Duration Min(Duration a, Duration b) => a <= b ? a : b;

    public int CompareTo(Duration other) => Nanoseconds.CompareTo(other.Nanoseconds);
    public override string ToString() => $"{Nanoseconds} ns";
}
