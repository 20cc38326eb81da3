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
    private readonly DisciplineOptions _options;
    private double _commandedPpm;
    private double? _basePpm;
    private Instant<Utc>? _lastUpdate;
    private Duration _updateInterval = Duration.FromSeconds(1);
    private long _updates;

    public DisciplineController(DisciplineOptions options, double initialFrequencyPpm = 0)
    {
        _options = options;
        _commandedPpm = initialFrequencyPpm;
    }

    public SyncState State { get; private set; } = SyncState.Acquiring;
    public long Steps { get; private set; }
    public long Updates => _updates;

    /// <summary>The total frequency correction last commanded (base plus slew).</summary>
    public double CommandedFrequencyPpm => _commandedPpm;

    /// <summary>The correction that makes the clock run at the reference's rate, once known.</summary>
    public double? BaseFrequencyPpm => _basePpm;

    public Duration UpdateInterval => _updateInterval;

    public DisciplineDecision Update(ClockEstimate estimate, KernelStatus leapFlags, int? taiOffsetSeconds)
    {
        _updates++;
        if (_lastUpdate is { } last && estimate.At > last)
            _updateInterval = estimate.At - last;
        _lastUpdate = estimate.At;

        var frequencyTrusted = estimate.SampleCount >= 2
            && estimate.FrequencyStdDevPpm <= _options.MaxTrustedFrequencyStdDevPpm;
        if (frequencyTrusted)
            _basePpm = _commandedPpm - estimate.FrequencyPpm;
        var basePpm = _basePpm ?? _commandedPpm;

        var step = Duration.Zero;
        var residual = estimate.Offset;
        if (_options.Steps.AllowsStep(estimate.Offset, _updates))
        {
            step = -estimate.Offset;
            residual = Duration.Zero;
            Steps++;
        }

        var newPpm = Math.Clamp(basePpm + SlewPpm(residual), -_options.MaxFrequencyPpm, _options.MaxFrequencyPpm);
        var changePpm = newPpm - _commandedPpm;
        _commandedPpm = newPpm;

        State = State == SyncState.Recovery && !frequencyTrusted ? SyncState.Recovery : SyncState.Tracking;

        var command = new ClockCommand
        {
            FrequencyPpm = newPpm,
            Step = step == Duration.Zero ? null : step,
            Status = leapFlags & (KernelStatus.InsertLeap | KernelStatus.DeleteLeap),
            MaxError = residual.Abs() + estimate.ErrorBound,
            EstimatedError = estimate.OffsetStdDev,
            TaiOffsetSeconds = taiOffsetSeconds,
        };
        return new DisciplineDecision(command, new LocalClockAdjustment(estimate.At, changePpm, step));
    }

    /// <summary>No estimate this update: keep the base frequency (drop any slew) and publish the grown bound.</summary>
    public DisciplineDecision Holdover(Instant<Utc> now, Duration errorBound, KernelStatus leapFlags)
    {
        if (State != SyncState.Acquiring)
            State = SyncState.Holdover;
        var basePpm = _basePpm ?? _commandedPpm;
        var changePpm = basePpm - _commandedPpm;
        _commandedPpm = basePpm;

        var unsynchronized = State == SyncState.Acquiring
            || (_lastUpdate is { } last && now - last > _options.UnsyncAfter);
        var status = (leapFlags & (KernelStatus.InsertLeap | KernelStatus.DeleteLeap))
            | (unsynchronized ? KernelStatus.Unsynchronized : KernelStatus.None);
        var command = new ClockCommand
        {
            FrequencyPpm = changePpm == 0 ? null : basePpm,
            Status = status,
            MaxError = errorBound,
        };
        var adjustment = changePpm == 0 ? (LocalClockAdjustment?)null : new LocalClockAdjustment(now, changePpm, Duration.Zero);
        return new DisciplineDecision(command, adjustment);
    }

    /// <summary>A step or frequency jump was detected: the estimator was reset; trust no frequency until it has one again.</summary>
    public void EnterRecovery()
    {
        State = SyncState.Recovery;
    }

    private double SlewPpm(Duration residual)
    {
        if (residual == Duration.Zero)
            return 0;
        var slewNs = Math.Max(
            Math.Max(_options.MinSlewTime.Nanoseconds, _updateInterval.Nanoseconds * _options.CorrectionTimeRatio),
            Math.Abs(residual.Nanoseconds) / (_options.MaxSlewPpm * 1e-6));
        return -residual.Nanoseconds / slewNs * 1e6;
    }
}
