using Sync.Clock.Abstractions;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Clock.Simulation;

/// <summary>
/// A clock the simulated host serves, of any virtio-rtc type, derived from a base TAI time function (in a
/// simulation: the world's true time; in a real host daemon it can be the machine's clock). UTC steps back at
/// an inserted leap second, TAI and MONOTONIC are continuous, UTC_SMEARED smears per its variant
/// (UNSPECIFIED smears like NOON_LINEAR), UTC_MAYBE_SMEARED smears or steps as configured. Faults (steps and
/// rate errors from given instants) are applied to the base time before the conversion, like a host clock
/// that is itself wrong.
/// </summary>
public sealed class SimulatedHostClock : IHostClockSource
{
    private const double PpmToFraction = 1e-6;

    private readonly Func<long> _baseTaiNs;
    private readonly LeapSecondTable _table;
    private readonly LeapTimeline _timeline;
    private readonly MaybeSmearedBehaviour _maybeSmeared;
    private readonly long _monotonicEpochTaiNs;
    private readonly List<(long AtNs, long StepNs)> _steps = [];
    private readonly List<(long FromNs, double Ppm)> _rateErrors = [];

    public SimulatedHostClock(ClockScale scale, Func<long> baseTaiNs, LeapSecondTable table,
        MaybeSmearedBehaviour maybeSmeared = MaybeSmearedBehaviour.Smear, long monotonicEpochTaiNs = 0)
    {
        ArgumentNullException.ThrowIfNull(baseTaiNs);
        ArgumentNullException.ThrowIfNull(table);
        if (!Enum.IsDefined(scale.Scale))
            throw new ArgumentException($"clock type {(byte)scale.Scale} cannot be simulated", nameof(scale));
        Scale = scale;
        _baseTaiNs = baseTaiNs;
        _table = table;
        _timeline = new LeapTimeline(table);
        _maybeSmeared = maybeSmeared;
        _monotonicEpochTaiNs = monotonicEpochTaiNs;
    }

    /// <summary>A host clock reading the world's current instant.</summary>
    public static SimulatedHostClock ForWorld(SimulatedWorld world, ClockScale scale,
        MaybeSmearedBehaviour maybeSmeared = MaybeSmearedBehaviour.Smear) =>
        new(scale, () => world.TrueNs, world.LeapTable, maybeSmeared, world.StartTrueNs - 1000 * 1_000_000_000L);

    public ClockScale Scale { get; }
    public MaybeSmearedBehaviour MaybeSmearedBehaviour => _maybeSmeared;

    /// <summary>
    /// A TAI clock served as the host's CLOCK_TAI is: its UTC plus the kernel's TAI offset, this many seconds (a
    /// scenario's host_tai_offset_s; 0: a host that never set it); null: true TAI. Other scales ignore it.
    /// </summary>
    public int? HostTaiOffsetSeconds { get; set; }

    /// <summary>From atTaiNs on the served clock is off by an extra stepNs.</summary>
    public void AddStep(long atTaiNs, long stepNs) => _steps.Add((atTaiNs, stepNs));

    /// <summary>From fromTaiNs on the served clock runs fast by ppm (negative = slow).</summary>
    public void AddRateError(long fromTaiNs, double ppm)
    {
        if (!double.IsFinite(ppm)) throw new ArgumentException("rate error must be finite", nameof(ppm));
        _rateErrors.Add((fromTaiNs, ppm));
    }

    public long ReadNanoseconds() => ReadAt(_baseTaiNs());

    /// <summary>What this clock shows when the base time is taiNs.</summary>
    public long ReadAt(long taiNs)
    {
        var served = taiNs + FaultOffsetNs(taiNs);
        return Scale.Scale switch
        {
            TimeScale.Tai => HostTaiOffsetSeconds is { } hostOffset
                ? _timeline.TaiToUtcNs(served) + hostOffset * 1_000_000_000L
                : served,
            TimeScale.Utc => _timeline.TaiToUtcNs(served),
            TimeScale.Monotonic => served - _monotonicEpochTaiNs,
            TimeScale.UtcSmeared => Smeared(served, Scale.Variant),
            TimeScale.UtcMaybeSmeared => _maybeSmeared == MaybeSmearedBehaviour.Smear
                ? Smeared(served, SmearVariant.NoonLinear)
                : _timeline.TaiToUtcNs(served),
            _ => served,
        };
    }

    /// <summary>The faults' total effect at taiNs, ns.</summary>
    public long FaultOffsetNs(long taiNs)
    {
        long offset = 0;
        foreach (var (atNs, stepNs) in _steps)
            if (taiNs >= atNs) offset += stepNs;
        double rateNs = 0;
        foreach (var (fromNs, ppm) in _rateErrors)
            if (taiNs > fromNs) rateNs += ppm * PpmToFraction * (taiNs - fromNs);
        return offset + (long)Math.Round(rateNs);
    }

    private long Smeared(long taiNs, SmearVariant variant)
    {
        var effective = variant == SmearVariant.Unspecified ? SmearVariant.NoonLinear : variant;
        return LeapSmear.FromTai(new Instant<Tai>(taiNs), effective, _table).Nanoseconds;
    }
}
