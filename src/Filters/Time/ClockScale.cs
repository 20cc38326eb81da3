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

    /// <summary>
    /// The one spelling of each scale, for configuration (serve:clocks, serve:simulated:scale), scenarios
    /// (served_clock), reports and logs. The clock selector's keywords (sources:clocks) use the same words.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, ClockScale Value)> Names =
    [
        ("utc", Utc), ("tai", Tai), ("monotonic", Monotonic),
        ("utc-smeared-noon", UtcSmearedNoonLinear), ("utc-smeared-sls", UtcSmearedSls),
        ("utc-smeared-unspecified", new(TimeScale.UtcSmeared)), ("utc-maybe-smeared", UtcMaybeSmeared),
    ];

    /// <summary>The scale spelled so in <see cref="Names"/>.</summary>
    public static bool TryParse(string name, out ClockScale scale)
    {
        foreach (var (n, v) in Names)
            if (n == name)
            {
                scale = v;
                return true;
            }
        scale = default;
        return false;
    }

    public override string ToString()
    {
        foreach (var (name, value) in Names)
            if (value == this) return name;
        if (Scale == TimeScale.UtcSmeared) return "utc-smeared-unspecified"; // a variant the device did not name
        foreach (var (name, value) in Names)
            if (value.Scale == Scale) return name;
        return $"type-{(byte)Scale}";
    }
}
