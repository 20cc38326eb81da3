namespace Sync.Filters.Time;

/// <summary>
/// An instant whose scale is known only at run time (a PHC reading: the scale comes from the clock's name).
/// Turn it into a typed instant with <see cref="As{TScale}"/>, which refuses the wrong scale.
/// </summary>
public readonly record struct ScaledInstant(ClockScale Scale, long Nanoseconds)
{
    public Instant<TScale> As<TScale>() where TScale : struct, ITimeScale =>
        Scale.Scale == TScale.Scale
            ? new Instant<TScale>(Nanoseconds)
            : throw new InvalidOperationException($"a {Scale} instant is not a {TScale.Scale} instant");

    public override string ToString() => $"{Scale}:{Nanoseconds}";
}
