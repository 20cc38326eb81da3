using Sync.Filters.Estimation;
using Sync.Filters.Time;

namespace Sync.Filters.Discipline;

/// <summary>
/// Turns estimates into clock commands. The frequency is set so the clock runs at the reference's rate (the
/// base frequency), and the remaining offset is slewed away by a temporary frequency over a few update
/// intervals, or stepped where the step policy allows. Pure: the caller applies the commands and tells the
/// estimator about the adjustment it returns.
/// </summary>
public sealed class DisciplineController
{
    private readonly DisciplineControllerOptions _options;
    private double _commandedPpm;
    private double? _basePpm;
    private Instant<Utc>? _lastUpdate;
    private Duration _updateInterval = Duration.FromSeconds(1);
    private readonly Duration? _expectedUpdateInterval;
    private long _updates;
    private long? _recoveryUpdates;
    // How far off the sample that showed a jump could itself be (half its window plus its error): a step by its
    // offset can leave this much, which is the step's imprecision, not a new discontinuity, so it is slewed.
    private Duration _jumpUncertainty;
    private readonly long[] _stepsByReason = new long[StepReasons.Names.Count];

    /// <summary>The bound the kernel takes as "unsynchronized" (NTP_PHASE_LIMIT, 16 s): maxerror at or above it
    /// sets STA_UNSYNC, and it is what we publish while a jump is uncorrected.</summary>
    public static readonly Duration UnsynchronizedMaxError = Duration.FromSeconds(16);

    /// <param name="expectedUpdateInterval">The interval until the first two updates measure it (default 1 s).</param>
    public DisciplineController(DisciplineControllerOptions options, double initialFrequencyPpm = 0, Duration? expectedUpdateInterval = null)
    {
        _options = options;
        _commandedPpm = initialFrequencyPpm;
        if (expectedUpdateInterval is { } interval && interval > Duration.Zero) _updateInterval = (_expectedUpdateInterval = interval).Value;
    }

    public SyncState State { get; private set; } = SyncState.Acquiring;
    public long Steps { get; private set; }
    public long Updates => _updates;

    /// <summary>Steps so far, by reason.</summary>
    public long StepsFor(StepReason reason) => _stepsByReason[(int)reason];

    /// <summary>A jump was seen and no update since has found the offset back within the recovery threshold: the
    /// kernel is told "unsynchronized" (STA_UNSYNC, maxerror 16 s) meanwhile.</summary>
    public bool JumpUncorrected { get; private set; }

    /// <summary>The total frequency correction last commanded (base plus slew).</summary>
    public double CommandedFrequencyPpm => _commandedPpm;

    /// <summary>The correction that makes the clock run at the reference's rate, once known.</summary>
    public double? BaseFrequencyPpm => _basePpm;

    public Duration UpdateInterval => _updateInterval;

    /// <summary>
    /// One estimate in, one command out. targetRatePpm: the target runs this much faster than the reference the
    /// estimate's frequency is measured against (a smear's slope, fed forward); 0 = follow the reference.
    /// </summary>
    public DisciplineDecision Update(ClockEstimate estimate, ClockStatus leapFlags, int? taiOffsetSeconds, double targetRatePpm = 0)
    {
        _updates++;
        if (_lastUpdate is { } last && estimate.At > last)
            _updateInterval = estimate.At - last;
        _lastUpdate = estimate.At;

        var frequencyTrusted = estimate.SampleCount >= 2
            && estimate.FrequencyStdDevPpm <= _options.MaxTrustedFrequencyStdDevPpm;
        if (frequencyTrusted)
            _basePpm = RateCorrectedPpm(_commandedPpm, estimate.FrequencyPpm, targetRatePpm);
        var basePpm = _basePpm ?? _commandedPpm;

        var step = Duration.Zero;
        var residual = estimate.Offset;
        if (_recoveryUpdates is { } r) _recoveryUpdates = r + 1;
        var startupStep = _options.Steps.AllowsStep(estimate.Offset, _updates);
        var stepAllowed = startupStep
            || (_options.Steps.AfterDiscontinuity && _recoveryUpdates is { } n && _options.Steps.AllowsStep(estimate.Offset, n)
                && estimate.Offset.Abs() > Duration.Max(_options.Steps.RecoveryThreshold, _jumpUncertainty));
        StepReason? reason = null;
        if (stepAllowed)
        {
            step = -estimate.Offset;
            residual = Duration.Zero;
            reason = startupStep ? StepReason.Startup : StepReason.Discontinuity;
            CountStep(reason.Value);
        }

        var newPpm = Math.Clamp(basePpm + SlewPpm(residual), -_options.MaxFrequencyPpm, _options.MaxFrequencyPpm);
        var changePpm = newPpm - _commandedPpm;
        _commandedPpm = newPpm;

        State = State == SyncState.Recovery && !frequencyTrusted ? SyncState.Recovery : SyncState.Tracking;

        // After a jump the clock stays "unsynchronized" until an update finds it back (a step in this update
        // corrects it, but only the next sample shows that it did).
        if (JumpUncorrected && step == Duration.Zero && estimate.Offset.Abs() <= _options.Steps.RecoveryThreshold)
            JumpUncorrected = false;
        var command = new ClockCommand
        {
            FrequencyPpm = newPpm,
            Step = step == Duration.Zero ? null : step,
            StepReason = reason,
            Status = (leapFlags & (ClockStatus.InsertLeap | ClockStatus.DeleteLeap))
                | (JumpUncorrected ? ClockStatus.Unsynchronized : ClockStatus.None),
            MaxError = JumpUncorrected ? UnsynchronizedMaxError : step == Duration.Zero ? estimate.BoundOnTrueOffset : estimate.ErrorBound,
            EstimatedError = estimate.OffsetStdDev,
            TaiOffsetSeconds = taiOffsetSeconds,
        };
        return new DisciplineDecision(command, new LocalClockAdjustment(estimate.At, LocalRateChangePpm(newPpm - changePpm, newPpm, estimate.FrequencyPpm), step));
    }

    /// <summary>No estimate this update: keep the base frequency (drop any slew) and publish the grown bound.</summary>
    public DisciplineDecision Holdover(Instant<Utc> now, Duration errorBound, ClockStatus leapFlags)
    {
        if (State != SyncState.Acquiring)
            State = SyncState.Holdover;
        var basePpm = _basePpm ?? _commandedPpm;
        var changePpm = basePpm - _commandedPpm;
        _commandedPpm = basePpm;

        var unsynchronized = State == SyncState.Acquiring || JumpUncorrected
            || (_lastUpdate is { } last && now - last > _options.UnsyncAfter);
        var status = (leapFlags & (ClockStatus.InsertLeap | ClockStatus.DeleteLeap))
            | (unsynchronized ? ClockStatus.Unsynchronized : ClockStatus.None);
        var command = new ClockCommand
        {
            FrequencyPpm = changePpm == 0 ? null : basePpm,
            Status = status,
            MaxError = JumpUncorrected ? UnsynchronizedMaxError : errorBound,
        };
        var adjustment = changePpm == 0 ? (LocalClockAdjustment?)null : new LocalClockAdjustment(now, LocalRateChangePpm(basePpm - changePpm, basePpm, 0), Duration.Zero);
        return new DisciplineDecision(command, adjustment);
    }

    /// <summary>
    /// Observe mode: the kernel's correction as read back (someone else may have changed it, and this controller's
    /// own commands were not applied), so the next proposed command starts from it.
    /// </summary>
    public void FollowKernel(double frequencyPpm) => _commandedPpm = frequencyPpm;

    /// <summary>
    /// One sample showed the clock jumped by about -offset (the VM was paused, restored or migrated): step it back at
    /// once where the policy allows steps after a discontinuity, else slew as fast as allowed; either way keep the
    /// base frequency (a pause does not change the oscillator) and tell the kernel "unsynchronized" until an update
    /// finds the offset back within the recovery threshold. The caller resets the estimator.
    /// </summary>
    /// <param name="allowStep">False for a jump that must be slewed whatever the policy allows after a discontinuity
    /// (the leap's second under leapPolicy slew).</param>
    public DisciplineDecision Jump(Instant<Utc> now, Duration offset, ClockStatus leapFlags, int? taiOffsetSeconds, Duration uncertainty = default,
        bool allowStep = true)
    {
        EnterRecovery(allowStep);
        _jumpUncertainty = uncertainty.Abs();
        JumpUncorrected = true;
        var basePpm = _basePpm ?? _commandedPpm;
        var step = Duration.Zero;
        var residual = offset;
        if (allowStep && _options.Steps.AfterDiscontinuity)
        {
            step = -offset;
            residual = Duration.Zero;
            CountStep(StepReason.Jump);
        }
        var newPpm = Math.Clamp(basePpm + SlewPpm(residual), -_options.MaxFrequencyPpm, _options.MaxFrequencyPpm);
        var changePpm = newPpm - _commandedPpm;
        _commandedPpm = newPpm;
        var command = new ClockCommand
        {
            FrequencyPpm = newPpm,
            Step = step == Duration.Zero ? null : step,
            StepReason = step == Duration.Zero ? null : StepReason.Jump,
            Status = (leapFlags & (ClockStatus.InsertLeap | ClockStatus.DeleteLeap)) | ClockStatus.Unsynchronized,
            MaxError = UnsynchronizedMaxError,
            TaiOffsetSeconds = taiOffsetSeconds,
        };
        return new DisciplineDecision(command, new LocalClockAdjustment(now, LocalRateChangePpm(newPpm - changePpm, newPpm, 0), step));
    }

    /// <summary>
    /// The hypervisor says the VM's clock was disrupted (vmclock's disruption marker changed: restored from a snapshot
    /// or migrated), before any sample shows what that did: drop any slew (keep the base frequency) and tell the kernel
    /// "unsynchronized" with maxerror 16 s until an update finds the offset back within the recovery threshold, as
    /// after a jump. The caller resets the estimator; the first sample after decides whether to step.
    /// </summary>
    public DisciplineDecision Disrupted(Instant<Utc> now, ClockStatus leapFlags)
    {
        EnterRecovery();
        JumpUncorrected = true;
        var basePpm = _basePpm ?? _commandedPpm;
        var changePpm = basePpm - _commandedPpm;
        _commandedPpm = basePpm;
        var command = new ClockCommand
        {
            FrequencyPpm = basePpm,
            Status = (leapFlags & (ClockStatus.InsertLeap | ClockStatus.DeleteLeap)) | ClockStatus.Unsynchronized,
            MaxError = UnsynchronizedMaxError,
        };
        var adjustment = changePpm == 0 ? (LocalClockAdjustment?)null : new LocalClockAdjustment(now, LocalRateChangePpm(basePpm - changePpm, basePpm, 0), Duration.Zero);
        return new DisciplineDecision(command, adjustment);
    }

    private void CountStep(StepReason reason)
    {
        Steps++;
        _stepsByReason[(int)reason]++;
    }

    /// <summary>
    /// Start over as at start-up from the frequency the kernel has now (someone else steered the clock meanwhile):
    /// nothing learnt before is kept but the step counts.
    /// </summary>
    public void Restart(double currentFrequencyPpm)
    {
        _commandedPpm = currentFrequencyPpm;
        _basePpm = null;
        _lastUpdate = null;
        _updates = 0;
        _recoveryUpdates = null;
        JumpUncorrected = false;
        State = SyncState.Acquiring;
    }

    /// <summary>A step or frequency jump was detected: the estimator was reset; trust no frequency until it has one
    /// again. allowStep false (a rate change: its run-up is slewed, never stepped): no step after it, whatever the
    /// policy allows after a discontinuity.</summary>
    public void EnterRecovery(bool allowStep = true)
    {
        State = SyncState.Recovery;
        _recoveryUpdates = allowStep ? 0 : null;
        _jumpUncertainty = Duration.Zero;
    }

    /// <summary>
    /// The kernel runs the clock at r = (1 + oscillator)(1 + correction) of the reference's rate, and an estimator
    /// measures the frequency error per local second, f = 1 - 1/r. Moving the correction from c1 to c2 therefore
    /// changes f by (c2 - c1)(1 - f1)/(1 + c2), f1 the error before (in holdover taken as 0). At ordinary
    /// corrections this is c2 - c1 within a few 1e-5; following UTC_SLS's 1000 ppm smear the difference is 1 ppm.
    /// </summary>
    public static double LocalRateChangePpm(double oldPpm, double newPpm, double frequencyErrorPpm) =>
        (newPpm - oldPpm) * (1 - frequencyErrorPpm * 1e-6) / (1 + newPpm * 1e-6);

    /// <summary>The correction that makes the clock run at (1 + target rate) of the reference's rate:
    /// (1 + c)(1 - f)(1 + target) - 1, exactly.</summary>
    private static double RateCorrectedPpm(double commandedPpm, double frequencyErrorPpm, double targetRatePpm) =>
        ((1 + commandedPpm * 1e-6) * (1 - frequencyErrorPpm * 1e-6) * (1 + targetRatePpm * 1e-6) - 1) * 1e6;

    /// <summary>
    /// The time until the next update, over which an offset is slewed: the time since the last update, but no longer
    /// than the expected update interval (the read interval) when one was given. A gap before this update (samples
    /// held as possible outliers while a change was confirmed, an outage) says nothing about the time to the next one:
    /// measured from the gap, the correction after a change confirmed at the third read of 10 s reads was spread over
    /// 30 s and took three reads instead of one (random world 2-96).
    /// </summary>
    private Duration SlewInterval => _expectedUpdateInterval is { } expected && expected < _updateInterval ? expected : _updateInterval;

    private double SlewPpm(Duration residual)
    {
        if (residual == Duration.Zero)
            return 0;
        var slewNs = Math.Max(
            Math.Max(_options.MinSlewTime.Nanoseconds, SlewInterval.Nanoseconds * _options.CorrectionTimeRatio),
            Math.Abs(residual.Nanoseconds) / (_options.MaxSlewPpm * 1e-6));
        return -residual.Nanoseconds / slewNs * 1e6;
    }
}
