using Sync.Clock.Abstractions;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Clock.HostClocks;

/// <summary>UTC_SMEARED (NOON_LINEAR or UTC_SLS) computed from a TAI source and a leap-second table.</summary>
public sealed class SmearedUtcClockSource : IHostClockSource
{
    private readonly IHostClockSource _tai;
    private readonly LeapSecondTable _table;
    private readonly SmearVariant _variant;

    /// <param name="labelMaybeSmeared">Offer it as UTC_MAYBE_SMEARED (serve:smearVariant says what such a clock does).</param>
    public SmearedUtcClockSource(SmearVariant variant, IHostClockSource tai, LeapSecondTable table, bool labelMaybeSmeared = false)
    {
        if (variant is not (SmearVariant.NoonLinear or SmearVariant.UtcSls))
            throw new ArgumentOutOfRangeException(nameof(variant), variant, "a smeared UTC clock needs a defined variant: NoonLinear or UtcSls");
        if (tai.Scale.Scale != TimeScale.Tai)
            throw new ArgumentException($"the smear is computed from TAI, not {tai.Scale}", nameof(tai));
        _variant = variant;
        _tai = tai;
        _table = table;
        Scale = labelMaybeSmeared ? ClockScale.UtcMaybeSmeared : new ClockScale(TimeScale.UtcSmeared, variant);
    }

    public ClockScale Scale { get; }

    public long ReadNanoseconds() =>
        LeapSmear.FromTai(new Instant<Tai>(_tai.ReadNanoseconds()), _variant, _table).Nanoseconds;

    public override string ToString() => $"{Scale} from {_tai}";
}
