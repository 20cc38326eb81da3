namespace Sync.Filters.Time;

/// <summary>A time scale known at run time, with the smearing variant where the scale smears.</summary>
public readonly record struct ClockScale(TimeScale Scale, SmearVariant Variant = SmearVariant.Unspecified)
{
    public static ClockScale Utc => new(TimeScale.Utc);
    public static ClockScale Tai => new(TimeScale.Tai);
    public static ClockScale Monotonic => new(TimeScale.Monotonic);
    public static ClockScale UtcSmearedNoonLinear => new(TimeScale.UtcSmeared, SmearVariant.NoonLinear);
    public static ClockScale UtcSmearedSls => new(TimeScale.UtcSmeared, SmearVariant.UtcSls);
    public static ClockScale UtcMaybeSmeared => new(TimeScale.UtcMaybeSmeared);

    public override string ToString() => Scale == TimeScale.UtcSmeared
        ? $"utc-smeared-{Variant switch { SmearVariant.NoonLinear => "noon", SmearVariant.UtcSls => "sls", _ => "unspecified" }}"
        : Scale switch
        {
            TimeScale.Utc => "utc",
            TimeScale.Tai => "tai",
            TimeScale.Monotonic => "monotonic",
            TimeScale.UtcMaybeSmeared => "utc-maybe-smeared",
            _ => $"type-{(byte)Scale}",
        };
}
