using Sync.Filters.Discipline;
using Sync.Filters.Estimation;
using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Selection;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// The sans-I/O sync core: PHC readings in, clock commands out. Each reading is reduced to one sample,
/// converted to UTC by the reference's time scale and the leap policy (<see cref="ReferenceScaleConverter"/>),
/// collected for one read interval (one reading per source: every reading step is an update, whatever the read
/// interval); at each update the sources are filtered and one is chosen (<see cref="SourceSelector"/>); its sample
/// feeds the estimator (unless it starts a discontinuity), and the estimate, with the bound's systematic parts
/// (<see cref="HonestEstimate"/>), drives the discipline controller. The caller applies each command to the clock
/// it steers.
/// </summary>
public sealed class SyncEngine
{
    private readonly SyncEngineOptions _options;
    private readonly IClockEstimator _estimator;
    private readonly DisciplineController _controller;
    private readonly SourceSet _sources;
    private readonly SourceSelector _selector;
    private readonly SmearTarget _smearTarget;
    private readonly ReferenceScaleConverter _converter;
    private readonly LeapAnnouncement _leap;
    private readonly HonestEstimate _honest;
    private readonly JumpDetector _jumps;
    private readonly KernelReadBack _readBack;
    private readonly CommandedAdjustments _adjustments;
    private readonly MaxErrorSchedule _maxError = new();
    private readonly OffsetRms _rms = new();
    private readonly TaiMinusUtcObservation _taiMinusUtc = new();
    private readonly StepTimes _times;
    private readonly ReadingIntake _intake;
    private ClockEstimate? _lastEstimate;
    private Duration? _lastOffset;
    private bool _noMajority;

    public SyncEngine(SyncEngineOptions options, LeapSecondTable leapTable, double initialFrequencyPpm = 0)
    {
        _options = options;
        _estimator = EstimatorFactory.Create(options.Estimator, options.Kalman, options.Regression);
        _controller = new DisciplineController(options.Discipline, initialFrequencyPpm, options.ReadInterval);
        _sources = new SourceSet(options);
        _selector = new SourceSelector(options);
        _smearTarget = new SmearTarget(leapTable);
        _converter = new ReferenceScaleConverter(options, leapTable, _smearTarget, _taiMinusUtc);
        _leap = new LeapAnnouncement(options.Leap, leapTable, _taiMinusUtc);
        _honest = new HonestEstimate(options, _estimator, _controller, _smearTarget);
        _jumps = new JumpDetector(options, _estimator);
        _readBack = new KernelReadBack(_estimator);
        _adjustments = new CommandedAdjustments(_estimator, _jumps);
        _times = new StepTimes(options);
        _intake = new ReadingIntake(options, _sources, _converter, _smearTarget, _jumps, _times);
    }

    /// <summary>The options in effect (the read interval among them).</summary>
    public SyncEngineOptions Options => _options;

    public SyncState State => _controller.State;

    /// <summary>Steps commanded and applied (always 0 when observing: nothing is applied).</summary>
    public long Steps => Observing ? 0 : _controller.Steps;

    /// <summary>Frequency changes someone else made to the clock, seen by <see cref="OnKernelFrequency"/>.</summary>
    public long ExternalAdjustments => _readBack.Adjustments;

    /// <summary>Steps someone else made to the clock, seen by <see cref="OnKernelStep"/>.</summary>
    public long ExternalSteps => _readBack.Steps;

    /// <summary>The most recent step someone else made (local time it was seen at, size).</summary>
    public (Instant<Utc> At, Duration Size)? LastExternalStep => _readBack.LastStep;

    /// <summary>
    /// Raised for every reading that gave a sample: the reading's own offset (local - reference, reduced over the
    /// reading's window), dated at its own local time, before the median filter. The chrony agent sends these.
    /// </summary>
    public event Action<string, OffsetSample>? ReadingMeasured
    {
        add => _intake.ReadingMeasured += value;
        remove => _intake.ReadingMeasured -= value;
    }

    /// <summary>
    /// Raised for every sample the estimator took (one per reading at the default cadence): the estimator's offset
    /// at the sample's own local time, with that sample in it (local - what the clock must follow; Error is the
    /// estimate's bound). Until the estimator has an estimate (first sample, after a jump) it is the measured
    /// offset. The chrony agent sends these: each is the filtered offset of one reading, far less noisy than the
    /// reading alone, and dated where it was measured (no lag, no extrapolation).
    /// </summary>
    public event Action<string, OffsetSample>? EstimateMeasured;

    private bool Observing => _options.Control == ClockControl.Observe;

    public ClockControl Control => _options.Control;
    public long Discontinuities { get; private set; }

    /// <summary>Jumps of the clock seen in one sample (<see cref="SyncEngineOptions.JumpThreshold"/>); each is also a discontinuity.</summary>
    public long Jumps { get; private set; }

    /// <summary>The most recent jump: when (local time of the sample that showed it) and by how much the offset moved.</summary>
    public (Instant<Utc> At, Duration Size)? LastJump { get; private set; }

    /// <summary>Disruptions announced by the hypervisor (<see cref="OnDisruption"/>); each is also a discontinuity.</summary>
    public long Disruptions { get; private set; }

    public ClockEstimate? LastEstimate => _lastEstimate;
    public DisciplineController Controller => _controller;

    /// <summary>The calibration each source has now (configured, measured or none), by source id.</summary>
    public IReadOnlyDictionary<string, (SourceCalibration Calibration, CalibrationOrigin Origin, SourceCalibration? Measured)> Calibrations =>
        _sources.Calibrations;

    /// <summary>The delay asymmetry no estimator can see, as a systematic error (<see cref="Engine.AsymmetryAllowance"/>).</summary>
    public Duration AsymmetryError => _honest.AsymmetryError;

    /// <summary>The causal part of the bound at the newest sample's time (see <see cref="CausalBound"/>), null before
    /// the first estimate.</summary>
    public Duration? CausalBoundAtSample => _honest.CausalBoundAtSample;

    /// <summary>
    /// TAI - UTC as read from a device serving both a TAI and a UTC clock (both read in one step, e.g. with
    /// sources:combine), null until seen (<see cref="TaiMinusUtcObservation"/>). Where the leap table has expired it is
    /// what the kernel is told and what TAI readings are converted with; where the table is valid it is only compared.
    /// </summary>
    public int? ObservedTaiMinusUtc => _taiMinusUtc.Seconds;

    /// <summary>True when <see cref="ObservedTaiMinusUtc"/> differs from the leap table at the last observation.</summary>
    public bool ObservedTaiMinusUtcDisagreesWithTable => _taiMinusUtc.DisagreesWithTable;

    /// <summary>Register a reference clock so it shows in the snapshot before its first reading (in order of preference).</summary>
    public void AddSource(string id, string name, ClockScale scale) => _sources.Add(id, name, scale);

    /// <summary>A reading of source id; returns the command to apply, or null when there is nothing to do yet.</summary>
    public ClockCommand? OnReading(string id, PhcReading reading) => OnReadings([(id, reading)]);

    /// <summary>
    /// The readings of one step, one per source read (several when sources are combined): each is reduced into its
    /// source's batch (<see cref="ReadingIntake"/>); once an update interval is complete the sources are combined (<see cref="SourceCombiner"/>)
    /// and the selected source's filtered sample feeds the estimator. Returns the command to apply, or null.
    /// </summary>
    public ClockCommand? OnReadings(IReadOnlyList<(string Id, PhcReading Reading)> readings)
    {
        if (readings.Count == 0)
            return null;
        _times.ReadingsEnd(readings);
        var (latest, jumped) = _intake.Take(readings, OnJump);
        if (jumped is not null)
            return jumped;
        if (latest is not { } sampleAt)
            return null;
        return _times.UpdateDue(sampleAt) ? Update() : MaxErrorRefresh();
    }

    /// <summary>
    /// One update: the sources' batches give one chosen sample (<see cref="SourceSelector"/>), which feeds the
    /// estimator with its allowance as the bound's systematic part.
    /// </summary>
    private ClockCommand? Update()
    {
        if (_selector.Choose(_sources.All, _sources.FollowedId) is not { } choice)
            return null;
        _noMajority = choice.NoMajority;
        _sources.FollowedId = choice.Source.Id;
        _honest.Follow(choice.Source, choice.Corrected);
        return OnFilteredSample(choice.Corrected);
    }

    /// <summary>Between updates: rewrites maxerror with the current bound once a whole second (<see cref="MaxErrorSchedule"/>).</summary>
    private ClockCommand? MaxErrorRefresh()
    {
        if (_lastEstimate is null || _controller.State is SyncState.Holdover or SyncState.Acquiring || _controller.JumpUncorrected)
            return null;
        var at = _times.ReadingEnd;
        return _maxError.IsDue(at) ? _maxError.Written(new ClockCommand { MaxError = CurrentBound(at) }, at) : null;
    }

    /// <summary>
    /// Forget the estimate and start over as at start-up, from the kernel's current frequency: the clock was steered
    /// by someone else (see <see cref="ForeignWriterGuard"/>), so nothing learnt about it holds.
    /// </summary>
    public void Restart(double currentFrequencyPpm)
    {
        Forget();
        _times.Restart();
        _controller.Restart(currentFrequencyPpm);
    }

    /// <summary>
    /// The hypervisor says the VM's clock was disrupted (vmclock's disruption marker or VM generation counter changed:
    /// restored from a snapshot, or migrated), which a sample may not show yet: what the estimator knew is void. Forget
    /// it, tell the kernel "unsynchronized" with maxerror 16 s (the bound is unknown) until an update finds the offset
    /// back within <see cref="StepPolicy.RecoveryThreshold"/>, and treat the next sample of the followed source as a
    /// jump when it is beyond that threshold (stepped where steps after a discontinuity are allowed).
    /// </summary>
    public ClockCommand OnDisruption(Instant<Utc> now)
    {
        Discontinuities++;
        Disruptions++;
        Forget();
        _times.ActedAt(now);
        _intake.Disrupted = true;
        _leap.Update(now);
        var decision = _controller.Disrupted(now, _leap.Flags);
        return Apply(decision, now);
    }

    /// <summary>What the estimator knew is void: drop it, the interval's samples and the last estimate.</summary>
    private void Forget()
    {
        _estimator.Reset();
        _honest.ForgetCheck();
        _sources.ClearBatches();
        _lastEstimate = null;
        _times.ForgetBatch();
        _jumps.StepOverlapEnd = null;
    }

    /// <summary>
    /// The delay-corrected filter's state for a source (<see cref="ReductionRule.DelayCorrected"/>): slope K used, last
    /// shift, slopes within and across readings, the latter's standard error (<see cref="SourceSet.DelayCorrection"/>).
    /// </summary>
    public (double Slope, Duration LastShift, double Within, double Across, double AcrossError)? DelayCorrection(string id) =>
        _sources.DelayCorrection(id);

    /// <summary>A reading failed (or none was due); returns a holdover command when samples stopped coming.</summary>
    public ClockCommand? OnMissedReading(string id, Instant<Utc> localNow, string reason)
    {
        if (_sources.TryGet(id, out var source))
        {
            source.Reach = (byte)(source.Reach << 1);
            source.LastFailure = reason;
        }
        return HoldoverIfDue(localNow);
    }

    /// <summary>Called on the timer when no reading happened: keeps the kernel's bound growing in holdover.</summary>
    public ClockCommand? HoldoverIfDue(Instant<Utc> localNow)
    {
        if (!_times.HoldoverDue(localNow))
            return null;
        _leap.Update(localNow);
        var bound = _honest.At(localNow)?.ErrorBound ?? Duration.FromSeconds(16);
        var decision = _controller.Holdover(localNow, bound, _leap.Flags);
        return Apply(decision, localNow);
    }

    /// <summary>
    /// Observe mode: the kernel's frequency correction (freq plus tick, ppm) as read back at localNow, before each
    /// reading (<see cref="KernelReadBack.Frequency"/>). The controller's idea of the current correction is set to the
    /// kernel's, so the commands it proposes (shown by a dry run) start from the truth. Ignored when steering.
    /// </summary>
    public void OnKernelFrequency(Instant<Utc> localNow, double frequencyPpm)
    {
        if (!Observing || !double.IsFinite(frequencyPpm))
            return;
        _readBack.Frequency(localNow, frequencyPpm, _times.LastFilteredAt, _lastEstimate?.FrequencyPpm ?? 0);
        _controller.FollowKernel(frequencyPpm);
    }

    /// <summary>
    /// Observe mode: someone else (chronyd's makestep) stepped the clock by <paramref name="step"/>, seen at
    /// <paramref name="localNow"/> (<see cref="KernelReadBack.Step"/>); the caller drops any reading taken between the
    /// two looks. Ignored when steering (the engine's own steps are notified as commanded).
    /// </summary>
    public void OnKernelStep(Instant<Utc> localNow, Duration step)
    {
        if (!Observing || step == Duration.Zero)
            return;
        if (_readBack.Step(localNow, step, _times.LastFilteredAt) is { } overlapEnd)
            _jumps.StepOverlapEnd = overlapEnd;
    }

    /// <summary>
    /// The bound on |local - reference| now: what is left of the estimated offset (still being slewed away) plus
    /// the estimator's error bound grown to now. Before the first estimate: 16 s, the kernel's "unsynchronized".
    /// </summary>
    public Duration CurrentBound(Instant<Utc> now) => _honest.Bound(now);

    public SyncSnapshot Snapshot(Instant<Utc> now)
    {
        var estimate = _lastEstimate;
        var bound = CurrentBound(now);
        return new SyncSnapshot(
            now,
            _controller.State,
            _sources.FollowedId,
            _lastOffset,
            _rms.Value,
            _controller.BaseFrequencyPpm ?? _controller.CommandedFrequencyPpm,
            estimate?.FrequencyPpm ?? 0,
            estimate?.FrequencyStdDevPpm ?? 0,
            bound,
            _leap.Flags,
            _leap.TaiMinusUtcSeconds ?? 0,
            _controller.Steps,
            _controller.UpdateInterval,
            _sources.Snapshots(_sources.FollowedId))
        {
            StepsByReason = StepReasons.Names.Select(n => (n.Value, _controller.StepsFor(n.Value))).ToList(),
            Jumps = Jumps,
            NoMajority = _noMajority,
        };
    }

    /// <summary>
    /// The controller's decision, taken effect at <paramref name="at"/>: the estimator is told of its adjustment
    /// (<see cref="CommandedAdjustments"/>; when observing, nothing was applied); returns its command.
    /// </summary>
    private ClockCommand Apply(DisciplineDecision decision, Instant<Utc> at)
    {
        _adjustments.Commanded(Observing ? null : decision.Adjustment);
        return _maxError.Written(decision.Command, at);
    }

    /// <summary>
    /// The command returned last was applied between local times before and after (the clock read around clock_adjtime):
    /// its rate change is re-dated to the middle of the apply (<see cref="CommandedAdjustments.Applied"/>).
    /// </summary>
    public void CommandApplied(Instant<Utc> before, Instant<Utc> after) => _adjustments.Applied(before, after);

    /// <summary>
    /// The clock jumped: what the estimator knew about the offset is void. Restart it from this sample, drop the
    /// interval's earlier samples (from before the jump) and let the controller correct the offset at once.
    /// </summary>
    private ClockCommand OnJump(OffsetSample sample, Duration jump)
    {
        Discontinuities++;
        Jumps++;
        LastJump = (sample.LocalTime, jump);
        _sources.ClearBatches();
        _times.JumpedAt(sample.LocalTime);
        _estimator.RestartAfterJump();
        _estimator.Add(sample);
        _honest.Check(sample, Duration.FromNanoseconds((sample.Delay.Nanoseconds + 1) / 2));
        _lastOffset = sample.Offset;
        RaiseEstimateMeasured(sample);

        var now = _times.CommandTime(sample);
        _leap.Update(now);
        // The step is only as good as this one sample: what it leaves within the sample's own uncertainty is slewed.
        var decision = _controller.Jump(now, sample.Offset, _leap.Flags, _leap.TaiMinusUtcSeconds, sample.Delay / 2 + sample.Error,
            allowStep: !_leap.IsSlewedLeap(now, sample.Offset));
        return Apply(decision, now);
    }

    private ClockCommand? OnFilteredSample(OffsetSample sample)
    {
        _times.ActedAt(sample.LocalTime);
        var outcome = _estimator.Add(sample);
        if (outcome is SampleOutcome.OutOfOrder or SampleOutcome.Invalid)
        {
            // Not newer than the last sample on the local clock: the clock was just stepped back and the samples
            // taken since are on the new axis before the old one's newest. They carry nothing the estimate can use
            // until the clock passes that point again, and acting on the unchanged estimate would repeat the step.
            return MaxErrorRefresh();
        }
        _honest.CheckFollowed(sample);
        if (outcome == SampleOutcome.Discontinuity)
        {
            Discontinuities++;
            // A rate change (the reference's or the oscillator's) is followed by slewing: what its run-up left is
            // no step of the clock, however long detection took at a slow read interval. A step, or a frequency
            // jump seen with a step (a migration), may be stepped back where the policy allows.
            var last = _estimator.LastDiscontinuity;
            var rateChangeOnly = last is { Kind: DiscontinuityKind.FrequencyJump } d && d.Step.Abs() < _options.Discipline.Steps.RecoveryThreshold;
            _controller.EnterRecovery(allowStep: !rateChangeOnly);
        }

        var now = _times.CommandTime(sample);
        _leap.Update(now);
        RaiseEstimateMeasured(sample);
        var estimate = _honest.At(now);
        if (estimate is null)
            return new ClockCommand { Status = ClockStatus.Unsynchronized | _leap.Flags };

        _lastEstimate = estimate;
        _lastOffset = estimate.Offset;
        _rms.Add(sample.Offset);

        var decision = _controller.Update(estimate, _leap.Flags, _leap.TaiMinusUtcSeconds, _honest.TargetRatePpm);
        return Apply(decision, now);
    }

    // Before the estimate at now: Honest sets the smear's target rate, which the controller must get for now.
    private void RaiseEstimateMeasured(OffsetSample sample) => EstimateMeasured?.Invoke(_sources.FollowedId ?? "", _honest.AtSample(sample));
}
