using Sync.Clock.Abstractions;
using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Clock.Simulation;

/// <summary>
/// The guest's CLOCK_REALTIME with clock_adjtime semantics, on simulated time. Local time advances at
/// (1 + oscillator error) x (1 + frequency correction) from true UTC + an initial offset; steps (ADJ_SETOFFSET or
/// injected disturbances) and kernel leap seconds move it. The correction is split like chrony's: tick
/// (9000..11000 us, 100 ppm each) plus freq (+-500 ppm, quantised to 2^-16 ppm). maxerror grows 500 us per
/// second of local time and STA_UNSYNC is set when it passes 16 s; a leap second is inserted/deleted at local
/// midnight with STA_INS/STA_DEL (TIME_INS -> TIME_OOP -> TIME_WAIT, TIME_DEL -> TIME_WAIT). Like the kernel,
/// the state returned is TIME_ERROR while STA_UNSYNC is set (see <see cref="LeapState"/> for the leap state).
/// </summary>
public sealed class SimulatedSystemClock : ISystemClock
{
    public const long NominalTickUs = 10_000;
    public const long MinTickUs = 9_000;
    public const long MaxTickUs = 11_000;
    public const double PpmPerTickUs = 100;
    public const long FreqScale = 65_536;
    public const long MaxFreqScaled = 500 * FreqScale;
    public const long MaxErrorLimitUs = 16_000_000;
    public const long MaxErrorGrowthUsPerSecond = 500;
    private const long NsPerSecond = 1_000_000_000L;
    private const long SecondsPerDay = 86_400;

    private readonly SimulatedWorld _world;
    private readonly Oscillator _oscillator;

    private long _lastTrueNs;
    private double _lastOscillatorPhaseNs;
    private long _localNs;
    private double _localFractionNs;
    private long _tickedNs; // local time without steps: what drives the kernel's once-a-second work
    private long _lastProcessedSecond;

    private long _freqScaled;
    private long _tickUs = NominalTickUs;
    private double _correction;
    private ClockStatus _status = ClockStatus.Unsynchronized;
    private long _maxErrorUs = MaxErrorLimitUs;
    private long _maxErrorBaseSecond;
    private long _estErrorUs = MaxErrorLimitUs;
    private int _taiOffsetSeconds;
    private KernelLeapState _leapState = KernelLeapState.Ok;
    private long _nextLeapSecond = long.MaxValue;

    public SimulatedSystemClock(SimulatedWorld world, Oscillator oscillator, Duration initialOffset)
    {
        _world = world;
        _oscillator = oscillator;
        _lastTrueNs = world.TrueNs;
        _lastOscillatorPhaseNs = oscillator.PhaseNsAt(world.TrueNs);
        _localNs = world.TrueUtcNow.Nanoseconds + initialOffset.Nanoseconds;
        _tickedNs = _localNs;
        _lastProcessedSecond = FloorSeconds(_localNs);
        _maxErrorBaseSecond = FloorSeconds(_tickedNs);
    }

    public Oscillator Oscillator => _oscillator;

    /// <summary>The kernel's leap-second state machine (what clock_adjtime returns when STA_UNSYNC is clear).</summary>
    public KernelLeapState LeapState { get { CatchUp(); return _leapState; } }

    public long TickUs => _tickUs;

    /// <summary>freq in the kernel's unit (ppm x 2^16).</summary>
    public long FreqScaled => _freqScaled;

    /// <summary>Local minus true UTC at the current instant, ns (positive = the guest is ahead).</summary>
    public long TrueOffsetNs { get { CatchUp(); return _localNs - _world.TrueUtcNow.Nanoseconds; } }

    /// <summary>The local clock's rate error against true time now, ppm: oscillator plus correction.</summary>
    public double TrueFrequencyErrorPpm => ((1 + _oscillator.FrequencyPpmAt(_world.TrueNs) * 1e-6) * (1 + _correction) - 1) * 1e6;

    public Instant<Utc> Now()
    {
        CatchUp();
        return new Instant<Utc>(_localNs);
    }

    public ClockResult<KernelClockState> ReadState()
    {
        CatchUp();
        return ClockResult<KernelClockState>.Ok(Snapshot());
    }

    public ClockResult<KernelClockState> Apply(ClockCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        CatchUp();
        if (command.FrequencyPpm is { } ppm && !double.IsFinite(ppm))
            return Invalid("frequency must be finite");
        if (command.MaxError is { } maxError && maxError.Nanoseconds < 0)
            return Invalid("maxerror must not be negative");
        if (command.EstimatedError is { } estError && estError.Nanoseconds < 0)
            return Invalid("esterror must not be negative");

        if (command.Step is { } step)
        {
            StepBy(step.Nanoseconds);
            CommandedStepsNs += step.Nanoseconds;
            CommandedStepCount++;
        }
        if (command.FrequencyPpm is { } freqPpm) SetFrequency(freqPpm);
        if (command.Status is { } status) _status = status;
        if (command.MaxError is { } max)
        {
            _maxErrorUs = Math.Min(max.Nanoseconds / 1000, MaxErrorLimitUs);
            _maxErrorBaseSecond = FloorSeconds(_tickedNs);
        }
        if (command.EstimatedError is { } est) _estErrorUs = Math.Min(est.Nanoseconds / 1000, MaxErrorLimitUs);
        if (command.TaiOffsetSeconds is { } tai && tai >= 0 && tai <= 100_000) _taiOffsetSeconds = tai;
        return ClockResult<KernelClockState>.Ok(Snapshot());
    }

    /// <summary>
    /// The steps applied on command so far (what CLOCK_REALTIME - CLOCK_MONOTONIC shows of them), exactly. Injected
    /// disturbances are not in it: a paused or restored guest does not step its own clock.
    /// </summary>
    public (Duration Value, Duration Uncertainty)? StepOffset() => (new Duration(CommandedStepsNs), Duration.Zero);

    /// <summary>Net sum of the steps applied on command (ADJ_SETOFFSET), ns; injected disturbances are not in it.
    /// A step is what the kernel was told to do, however fast a slew (tick plus frequency) moves the clock.</summary>
    public long CommandedStepsNs { get; private set; }

    /// <summary>Steps applied on command so far.</summary>
    public long CommandedStepCount { get; private set; }

    /// <summary>An outside disturbance (live migration, snapshot restore): local time jumps by stepNs.</summary>
    public void InjectStep(long stepNs)
    {
        CatchUp();
        StepBy(stepNs);
    }

    private void StepBy(long stepNs)
    {
        _localNs += stepNs;
        _lastProcessedSecond = FloorSeconds(_localNs);
    }

    private void SetFrequency(double totalPpm)
    {
        var clamped = Math.Clamp(totalPpm, -ClockCommand.MaxFrequencyPpm, ClockCommand.MaxFrequencyPpm);
        var deltaTickUs = (long)Math.Round(clamped / PpmPerTickUs);
        deltaTickUs = Math.Clamp(deltaTickUs, MinTickUs - NominalTickUs, MaxTickUs - NominalTickUs);
        var freqPpm = clamped - deltaTickUs * PpmPerTickUs;
        _tickUs = NominalTickUs + deltaTickUs;
        _freqScaled = Math.Clamp((long)Math.Round(freqPpm * FreqScale), -MaxFreqScaled, MaxFreqScaled);
        _correction = EffectiveCorrectionPpm() * 1e-6;
    }

    private double EffectiveCorrectionPpm() => (_tickUs - NominalTickUs) * PpmPerTickUs + (double)_freqScaled / FreqScale;

    private KernelClockState Snapshot()
    {
        return new KernelClockState(
            EffectiveCorrectionPpm(),
            Duration.FromNanoseconds(CurrentMaxErrorUs() * 1000),
            Duration.FromNanoseconds(_estErrorUs * 1000),
            _status,
            _taiOffsetSeconds);
    }

    private long CurrentMaxErrorUs()
    {
        var grown = _maxErrorUs + MaxErrorGrowthUsPerSecond * (FloorSeconds(_tickedNs) - _maxErrorBaseSecond);
        return Math.Min(grown, MaxErrorLimitUs);
    }

    /// <summary>Bring local time and the kernel's per-second work up to the world's current instant.</summary>
    private void CatchUp()
    {
        var trueNs = _world.TrueNs;
        if (trueNs == _lastTrueNs) return;
        var phaseNs = _oscillator.PhaseNsAt(trueNs);
        var elapsedNs = (double)(trueNs - _lastTrueNs) + (phaseNs - _lastOscillatorPhaseNs);
        var total = _localFractionNs + elapsedNs * (1 + _correction);
        var whole = (long)Math.Floor(total);
        _localFractionNs = total - whole;
        _localNs += whole;
        _tickedNs += whole;
        _lastTrueNs = trueNs;
        _lastOscillatorPhaseNs = phaseNs;

        if ((_status & ClockStatus.Unsynchronized) == 0
            && _maxErrorUs + MaxErrorGrowthUsPerSecond * (FloorSeconds(_tickedNs) - _maxErrorBaseSecond) > MaxErrorLimitUs)
            _status |= ClockStatus.Unsynchronized;

        ProcessSecondOverflows();
    }

    /// <summary>The kernel's second_overflow leap logic for every local second boundary crossed since last time.</summary>
    private void ProcessSecondOverflows()
    {
        while (true)
        {
            var currentSecond = FloorSeconds(_localNs);
            if (currentSecond <= _lastProcessedSecond) return;
            var insert = (_status & ClockStatus.InsertLeap) != 0;
            var delete = (_status & ClockStatus.DeleteLeap) != 0;
            var boundary = _lastProcessedSecond + 1;
            switch (_leapState)
            {
                case KernelLeapState.Ok:
                    if (insert)
                    {
                        _leapState = KernelLeapState.Inserting;
                        _nextLeapSecond = boundary + SecondsPerDay - FloorMod(boundary, SecondsPerDay);
                        _lastProcessedSecond = boundary;
                    }
                    else if (delete)
                    {
                        _leapState = KernelLeapState.Deleting;
                        _nextLeapSecond = boundary + SecondsPerDay - FloorMod(boundary + 1, SecondsPerDay);
                        _lastProcessedSecond = boundary;
                    }
                    else _lastProcessedSecond = currentSecond;
                    break;
                case KernelLeapState.Inserting:
                    if (!insert)
                    {
                        _leapState = KernelLeapState.Ok;
                        _lastProcessedSecond = boundary;
                    }
                    else if (_nextLeapSecond <= currentSecond)
                    {
                        // 00:00:00 reached: back to 23:59:59, shown as 23:59:60.
                        _localNs -= NsPerSecond;
                        _taiOffsetSeconds++;
                        _leapState = KernelLeapState.InProgress;
                        _lastProcessedSecond = _nextLeapSecond - 1;
                    }
                    else _lastProcessedSecond = currentSecond;
                    break;
                case KernelLeapState.Deleting:
                    if (!delete)
                    {
                        _leapState = KernelLeapState.Ok;
                        _lastProcessedSecond = boundary;
                    }
                    else if (_nextLeapSecond <= currentSecond)
                    {
                        // 23:59:59 reached: skip it.
                        _localNs += NsPerSecond;
                        _taiOffsetSeconds--;
                        _leapState = KernelLeapState.Wait;
                        _lastProcessedSecond = _nextLeapSecond + 1;
                    }
                    else _lastProcessedSecond = currentSecond;
                    break;
                case KernelLeapState.InProgress:
                    _leapState = KernelLeapState.Wait;
                    _nextLeapSecond = long.MaxValue;
                    _lastProcessedSecond = boundary;
                    break;
                case KernelLeapState.Wait:
                    if (!insert && !delete) _leapState = KernelLeapState.Ok;
                    _lastProcessedSecond = boundary;
                    if (_leapState == KernelLeapState.Wait) _lastProcessedSecond = currentSecond;
                    break;
                default:
                    _lastProcessedSecond = currentSecond;
                    break;
            }
        }
    }

    private static ClockResult<KernelClockState> Invalid(string message) =>
        ClockResult<KernelClockState>.Fail(new ClockError(ClockErrorKind.InvalidArgument, "EINVAL", $"clock_adjtime(simulated CLOCK_REALTIME): {message}"));

    private static long FloorSeconds(long ns) => FloorDiv(ns, NsPerSecond);
    private static long FloorDiv(long a, long b) => a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
    private static long FloorMod(long a, long b) => a - FloorDiv(a, b) * b;
}
