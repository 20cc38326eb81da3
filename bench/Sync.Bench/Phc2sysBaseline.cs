using Sync.Daemon.Pipeline;
using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Bench;

/// <summary>
/// The comparison baseline, written here from linuxptp's documented behaviour: phc2sys's reading (5 samples per
/// reading, the fastest sample's midpoint), read at the scenario's own cadence, with linuxptp's PI servo and its
/// default interval scaling (pi_proportional_scale 0.7, exponent -0.3, norm_max 0.7; pi_integral_scale 0.3,
/// exponent 0.4, norm_max 0.3: kp = min(0.7 T^-0.3, 0.7 / T), ki = min(0.3 T^0.4, 0.3 / T), i.e. kp 0.7, ki 0.3
/// at T = 1 s), the first update estimating frequency from two offsets, and one step at start above 20 us.
/// The reference is taken as UTC (phc2sys knows no time scales beyond a fixed offset).
/// </summary>
public sealed class Phc2sysBaseline(Duration readInterval) : ISyncPipeline
{
    private readonly double _kp = ScaledKp(readInterval.Nanoseconds / 1e9), _ki = ScaledKi(readInterval.Nanoseconds / 1e9);

    public Phc2sysBaseline() : this(Duration.FromSeconds(1)) { }

    /// <summary>linuxptp's pi_sync_interval with its default pi_proportional_* settings.</summary>
    public static double ScaledKp(double intervalS) => Math.Min(0.7 * Math.Pow(intervalS, -0.3), 0.7 / intervalS);

    /// <summary>linuxptp's pi_sync_interval with its default pi_integral_* settings.</summary>
    public static double ScaledKi(double intervalS) => Math.Min(0.3 * Math.Pow(intervalS, 0.4), 0.3 / intervalS);
    private const long FirstStepThresholdNs = 20_000;
    private const double MaxPpb = 500_000;
    /// <summary>phc2sys -O -37: how its users run it against a TAI clock (fixed; it does not follow leap seconds).</summary>
    private const long TaiOffsetOptionNs = 37_000_000_000;

    private int _state;
    private double _driftPpb;
    private long _prevOffsetNs, _prevLocalNs;
    private Duration? _lastOffset;

    public string Name => "phc2sys-pi";
    public int SamplesPerReading => 5;
    public Duration ReadInterval => readInterval;
    public long Steps { get; private set; }
    public long Discontinuities => 0;

    public ClockCommand? OnReading(string sourceId, PhcReading reading)
    {
        var fastest = reading.Samples[0];
        foreach (var s in reading.Samples)
        {
            if (s.DelayNs < 0) return null;
            if (s.DelayNs < fastest.DelayNs) fastest = s;
        }
        var localNs = fastest.SysBeforeNs + fastest.DelayNs / 2;
        var phcAsUtcNs = reading.PhcScale.Scale == TimeScale.Tai ? fastest.PhcNs - TaiOffsetOptionNs : fastest.PhcNs;
        var offsetNs = localNs - phcAsUtcNs;
        _lastOffset = Duration.FromNanoseconds(offsetNs);

        switch (_state)
        {
            case 0:
                _prevOffsetNs = offsetNs;
                _prevLocalNs = localNs;
                _state = 1;
                return null;
            case 1:
                var dt = (localNs - _prevLocalNs) / 1e9;
                if (dt <= 0) return null;
                _driftPpb = Math.Clamp(_driftPpb + (offsetNs - _prevOffsetNs) / dt, -MaxPpb, MaxPpb);
                _state = 2;
                if (Math.Abs(offsetNs) > FirstStepThresholdNs)
                {
                    Steps++;
                    return new ClockCommand { Step = Duration.FromNanoseconds(-offsetNs), FrequencyPpm = -_driftPpb / 1000 };
                }
                return new ClockCommand { FrequencyPpm = -_driftPpb / 1000 };
            default:
                var kiTerm = _ki * offsetNs;
                var ppb = Math.Clamp(_kp * offsetNs + _driftPpb + kiTerm, -MaxPpb, MaxPpb);
                _driftPpb = Math.Clamp(_driftPpb + kiTerm, -MaxPpb, MaxPpb);
                return new ClockCommand { FrequencyPpm = -ppb / 1000, Status = ClockStatus.None };
        }
    }

    public ClockCommand? OnMissedReading(string sourceId, Instant<Utc> localNow, string reason) => null;

    public Duration? Bound(Instant<Utc> localNow) => null;

    public SyncSnapshot Snapshot(Instant<Utc> localNow) => new(
        localNow, _state == 2 ? SyncState.Tracking : SyncState.Acquiring, "phc", _lastOffset, Duration.Zero,
        -_driftPpb / 1000, 0, 0, Duration.Zero, ClockStatus.None, 0, Steps, ReadInterval, []);
}
