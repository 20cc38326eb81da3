using Sync.Daemon.Pipeline;
using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Bench;

/// <summary>
/// The comparison baseline, written here from linuxptp's documented behaviour: phc2sys with its defaults —
/// 5 samples per reading at 1 Hz, the fastest sample's midpoint, the PI servo (kp 0.7, ki 0.3 at a 1 s
/// interval), the first update estimating frequency from two offsets, and one step at start above 20 us.
/// The reference is taken as UTC (phc2sys knows no time scales beyond a fixed offset).
/// </summary>
public sealed class Phc2sysBaseline : ISyncPipeline
{
    private const double Kp = 0.7, Ki = 0.3;
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
    public Duration ReadInterval => Duration.FromSeconds(1);
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
                var kiTerm = Ki * offsetNs;
                var ppb = Math.Clamp(Kp * offsetNs + _driftPpb + kiTerm, -MaxPpb, MaxPpb);
                _driftPpb = Math.Clamp(_driftPpb + kiTerm, -MaxPpb, MaxPpb);
                return new ClockCommand { FrequencyPpm = -ppb / 1000, Status = KernelStatus.None };
        }
    }

    public ClockCommand? OnMissedReading(string sourceId, Instant<Utc> localNow, string reason) => null;

    public Duration? Bound(Instant<Utc> localNow) => null;

    public SyncSnapshot Snapshot(Instant<Utc> localNow) => new(
        localNow, _state == 2 ? SyncState.Tracking : SyncState.Acquiring, "phc", _lastOffset, Duration.Zero,
        -_driftPpb / 1000, 0, 0, Duration.Zero, KernelStatus.None, 0, Steps, ReadInterval, []);
}
