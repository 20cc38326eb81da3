namespace Sync.Filters.Time;

/// <summary>A compile-time marker for a time scale, so instants of different scales are different types.</summary>
public interface ITimeScale
{
    static abstract TimeScale Scale { get; }
}

/// <summary>UTC as POSIX counts it: seconds since 1970 without leap seconds (CLOCK_REALTIME).</summary>
public readonly struct Utc : ITimeScale { public static TimeScale Scale => TimeScale.Utc; }

/// <summary>International Atomic Time, counted from the same 1970 epoch (CLOCK_TAI with the offset set).</summary>
public readonly struct Tai : ITimeScale { public static TimeScale Scale => TimeScale.Tai; }

/// <summary>SI seconds since an arbitrary epoch; never decreases.</summary>
public readonly struct Monotonic : ITimeScale { public static TimeScale Scale => TimeScale.Monotonic; }

/// <summary>UTC with leap seconds smeared over a window; the variant is a property of the clock.</summary>
public readonly struct UtcSmeared : ITimeScale { public static TimeScale Scale => TimeScale.UtcSmeared; }

/// <summary>UTC that may smear or step at a leap second; the reader cannot tell which.</summary>
public readonly struct UtcMaybeSmeared : ITimeScale { public static TimeScale Scale => TimeScale.UtcMaybeSmeared; }
