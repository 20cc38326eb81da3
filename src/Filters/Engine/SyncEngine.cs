using System.Globalization;
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
/// converted to UTC by the reference's time scale and the leap policy, collected for one read interval (one reading
/// per source: every reading step is an update, whatever the read interval) and median-filtered; the filtered
/// sample feeds the estimator (unless it starts a discontinuity), and the
/// estimate drives the discipline controller. The caller applies each command to the clock it steers.
/// </summary>
public sealed class SyncEngine
{
    private const int RmsWindow = 64;

    private readonly SyncEngineOptions _options;
    private readonly LeapSecondTable _leapTable;
    private readonly IClockEstimator _estimator;
    private readonly DisciplineController _controller;
    private readonly Dictionary<string, SourceState> _sources = [];
    private readonly Queue<double> _recentOffsetsNs = new();
    private Instant<Utc>? _lastFilteredAt;
    private Instant<Utc>? _lastBatchEndAt;
    private Instant<Utc> _readingEnd;
    private Instant<Utc>? _lastCommandAt;
    private ClockEstimate? _lastEstimate;
    private Duration? _lastOffset;
    private ClockStatus _leapFlags;
    private int? _taiOffsetSeconds;
    private readonly Queue<(long AllowanceNs, double Weight)> _recentAllowances = new();
    private Duration _lastAmbiguity;
    private Duration _lastAllowance;
    private readonly CausalBound _causal = new();
    private SmearVariant? _smear;
    private int? _continuousTaiMinusUtcSeconds;
    private double _targetRatePpm;
    private string? _selectedId;
    private double? _kernelPpm;
    private Instant<Utc>? _kernelReadAt;
    private Instant<Utc>? _stepOverlapEnd;
    private long _lastMaxErrorSecond = long.MinValue;
    private bool _noMajority;

    public SyncEngine(SyncEngineOptions options, LeapSecondTable leapTable, double initialFrequencyPpm = 0)
    {
        _options = options;
        _leapTable = leapTable;
        _estimator = EstimatorFactory.Create(options.Estimator, options.Kalman, options.Regression);
        _controller = new DisciplineController(options.Discipline, initialFrequencyPpm, options.ReadInterval);
    }

    /// <summary>The options in effect (the read interval among them).</summary>
    public SyncEngineOptions Options => _options;

    public SyncState State => _controller.State;

    /// <summary>Steps commanded and applied (always 0 when observing: nothing is applied).</summary>
    public long Steps => Observing ? 0 : _controller.Steps;

    /// <summary>Frequency changes someone else made to the clock, seen by <see cref="OnKernelFrequency"/>.</summary>
    public long ExternalAdjustments { get; private set; }

    /// <summary>
    /// Raised for every reading that gave a sample: the reading's own offset (local - reference, reduced over the
    /// reading's window), dated at its own local time, before the median filter. The chrony agent sends these.
    /// </summary>
    public event Action<string, OffsetSample>? ReadingMeasured;

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
    public ClockEstimate? LastEstimate => _lastEstimate;
    public DisciplineController Controller => _controller;

    /// <summary>Register a reference clock so it shows in the snapshot before its first reading (in order of preference).</summary>
    public void AddSource(string id, string name, ClockScale scale)
    {
        if (_sources.ContainsKey(id))
            return;
        _sources[id] = new SourceState(id, name, scale, new ReadingReducer(_options.Reduction, _options.ReadingPrecision))
        {
            Preference = _sources.Count,
            Configured = _options.Calibrations.TryGetValue(id, out var calibration) ? calibration : null,
        };
    }

    /// <summary>A reading of source id; returns the command to apply, or null when there is nothing to do yet.</summary>
    public ClockCommand? OnReading(string id, PhcReading reading) => OnReadings([(id, reading)]);

    /// <summary>
    /// The readings of one step, one per source read (several when sources are combined): each is reduced into its
    /// source's batch; once an update interval is complete the sources are combined (<see cref="SourceCombiner"/>)
    /// and the selected source's filtered sample feeds the estimator. Returns the command to apply, or null.
    /// </summary>
    public ClockCommand? OnReadings(IReadOnlyList<(string Id, PhcReading Reading)> readings)
    {
        // Commands take effect after the step's readings: estimates and adjustments are dated just after the last timestamp.
        if (readings.Count == 0)
            return null;
        _readingEnd = new Instant<Utc>(readings.Max(r => r.Reading.Samples.Count == 0 ? long.MinValue + 1 : r.Reading.Samples.Max(t => t.SysAfterNs)) + 1);
        Instant<Utc>? latest = null;
        ClockCommand? jumped = null;
        foreach (var (id, reading) in readings)
        {
            var (accepted, jumpCommand) = Accept(id, reading, readings.Count == 1);
            jumped ??= jumpCommand;
            if (accepted is { } at && (latest is not { } l || at > l))
                latest = at;
        }
        if (jumped is not null)
            return jumped;
        if (latest is not { } sampleAt)
            return null;
        if (_lastBatchEndAt is { } lastEnd && sampleAt - lastEnd < _options.ReadInterval * 9 / 10)
            return MaxErrorRefresh();
        _lastBatchEndAt = sampleAt;
        return Update();
    }

    /// <summary>
    /// Reduce one reading into its source's batch; returns the sample's local time (null when rejected), or the
    /// command when the followed source jumped.
    /// </summary>
    private (Instant<Utc>? At, ClockCommand? Jump) Accept(string id, PhcReading reading, bool onlyOne)
    {
        var source = Source(id, reading.PhcScale);
        source.Reach = (byte)((source.Reach << 1) | 1);
        source.Readings++;
        source.Method = reading.Method;

        var reduced = source.Reducer.Reduce(reading);
        if (reduced.Sample is not { } sample)
        {
            source.LastFailure = reduced.RejectReason;
            return (null, null);
        }
        source.LastDelay = sample.Delay;

        if (ToOffsetSample(sample, reading.PhcScale, source) is not { } offsetSample)
            return (null, null);
        source.LastOffset = offsetSample.Offset;
        source.LastError = offsetSample.Error;
        source.Samples++;
        // One source read per step: the loop chose it (failover), so it is the one followed.
        if (onlyOne)
            _selectedId = id;
        // The chrony agent's sample: each reading of the followed source, calibrated, against what the clock must follow.
        if (id == _selectedId || _selectedId is null)
            ReadingMeasured?.Invoke(id, TargetOffset(offsetSample with { Offset = offsetSample.Offset - source.Calibration.Correction }, source.Smear));

        // The first sample of the followed source after a disruption (vmclock marker): nothing to predict it from, so
        // an offset beyond the recovery threshold is the disruption's jump and is handled as one.
        if (_disrupted && id == _selectedId)
        {
            _disrupted = false;
            var corrected = offsetSample with { Offset = offsetSample.Offset - source.Calibration.Correction };
            if (corrected.Offset.Abs() > _options.Discipline.Steps.RecoveryThreshold)
                return (null, OnJump(corrected, corrected.Offset));
        }

        // A jump of the followed source acts at once (a source that is not followed cannot move the clock).
        if (id == _selectedId && JumpIn(offsetSample with { Offset = offsetSample.Offset - source.Calibration.Correction }) is { } jump)
            return (null, OnJump(offsetSample with { Offset = offsetSample.Offset - source.Calibration.Correction }, jump));

        source.Batch.Add(offsetSample);
        return (offsetSample.LocalTime, null);
    }

    /// <summary>
    /// One update: each source's batch is median-filtered and calibrated (a configured calibration, else one
    /// measured against a narrower path when it beats causality, else the causal half window); the sources are
    /// combined by their bounds, falsetickers left out; wider paths are measured against the selected one; the
    /// selected sample feeds the estimator with its allowance as the bound's systematic part.
    /// </summary>
    private ClockCommand? Update()
    {
        var candidates = new List<Candidate>();
        foreach (var source in _sources.Values)
        {
            source.Verdict = SourceVerdict.NoSample;
            if (source.Batch.Count == 0)
                continue;
            var filtered = MedianFilter.Combine(source.Batch);
            var spreadNs = BatchStandardErrorNs(source.Batch);
            source.Batch.Clear();
            if (filtered is not { } f || Stalled(source, f.Sample.Delay))
                continue;
            var causal = Duration.FromNanoseconds((f.Sample.Delay.Nanoseconds + 1) / 2);
            var (calibration, origin) = source.Configured is { } configured ? (configured, CalibrationOrigin.Configured)
                : _options.CalibrateWiderPaths && source.Measured.Current is { } measured && measured.Allowance < causal ? (measured, CalibrationOrigin.Measured)
                : (new SourceCalibration(Duration.Zero, causal), CalibrationOrigin.None);
            source.Calibration = calibration;
            source.Origin = origin;
            source.LastWindow = f.Sample.Delay;
            var corrected = f.Sample with { Offset = f.Sample.Offset - calibration.Correction };
            source.LastCorrectedOffset = corrected.Offset;
            candidates.Add(new Candidate(source, f.Sample, corrected, causal, calibration.Allowance + Duration.FromNanoseconds((long)Math.Ceiling(3 * spreadNs))));
        }
        if (candidates.Count == 0)
            return null;

        var newest = candidates.Max(c => c.Corrected.LocalTime);
        var intervals = candidates.Select(c => new SourceInterval(
            c.Source.Id,
            c.Corrected.Offset,
            c.HalfWidth + Duration.FromNanoseconds((long)Math.Ceiling((newest - c.Corrected.LocalTime).Nanoseconds * MaxRateDifference)),
            c.Source.Preference)).ToList();
        var combined = SourceCombiner.Combine(intervals, _selectedId);
        _noMajority = candidates.Count > 1 && !combined.Majority;
        foreach (var c in candidates)
            c.Source.Verdict = combined.Verdicts[c.Source.Id];
        var chosen = candidates.First(c => c.Source.Id == combined.Selected);
        _selectedId = chosen.Source.Id;

        if (_options.CalibrateWiderPaths)
        {
            foreach (var wide in candidates)
            {
                if (wide.Source == chosen.Source || wide.Source.Configured is not null || wide.Causal <= chosen.Source.Calibration.Allowance)
                    continue;
                // Only pairs that causality allows: a path that steps or breaks is reported, not calibrated away.
                var difference = (wide.Raw.Offset - chosen.Corrected.Offset).Abs();
                if (difference <= wide.Causal + chosen.HalfWidth)
                    wide.Source.Measured.Add(wide.Raw.Offset, chosen.Corrected.Offset, chosen.Source.Calibration.Allowance);
            }
        }

        _lastAmbiguity = chosen.Source.Ambiguity;
        _lastAllowance = chosen.Source.Calibration.Allowance;
        _smear = chosen.Source.Smear;
        // The estimators weight a sample by 1 / Error^2 (Error = half its window): its allowance counts as much.
        var errorNs = Math.Max(1.0, chosen.Corrected.Error.Nanoseconds);
        _recentAllowances.Enqueue((chosen.Source.Calibration.Allowance.Nanoseconds, 1 / (errorNs * errorNs)));
        while (_recentAllowances.Count > Math.Max(1, _options.AsymmetryMemory))
            _recentAllowances.Dequeue();
        return OnFilteredSample(chosen.Corrected);
    }

    /// <summary>A source's typical window is the median of at least this many of its used samples.</summary>
    private const int TypicalWindowSamples = 8;

    /// <summary>
    /// The delay test (<see cref="SyncEngineOptions.StalledWindowRatio"/>): true when the filtered sample's window is
    /// more than the ratio times the source's typical window, so the sample is left out. After
    /// <see cref="SyncEngineOptions.StalledRunLimit"/> in a row the typical window is forgotten (the path changed)
    /// and samples are used again. A used sample's window joins the typical.
    /// </summary>
    private bool Stalled(SourceState source, Duration window)
    {
        var windows = source.RecentWindowsNs;
        if (_options.StalledWindowRatio > 0 && windows.Count >= TypicalWindowSamples)
        {
            var typical = Median(windows);
            if (window.Nanoseconds > _options.StalledWindowRatio * typical)
            {
                if (source.StalledRun < _options.StalledRunLimit)
                {
                    source.StalledRun++;
                    source.StalledSamples++;
                    source.LastFailure = string.Create(CultureInfo.InvariantCulture,
                        $"stalled read left out: window {window.Nanoseconds / 1e3:0.#} us is more than {_options.StalledWindowRatio:0.##} x the typical {typical / 1e3:0.#} us");
                    return true;
                }
                windows.Clear();
            }
        }
        source.StalledRun = 0;
        windows.Enqueue(window.Nanoseconds);
        while (windows.Count > Math.Max(TypicalWindowSamples, _options.AsymmetryMemory))
            windows.Dequeue();
        return false;
    }

    private static double Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + (double)sorted[mid]) / 2;
    }

    /// <summary>Sources read a little apart in time are compared as if read together: the clock moves at most this much meanwhile (the kernel's 500 ppm).</summary>
    private const double MaxRateDifference = 500e-6;

    private static double BatchStandardErrorNs(List<OffsetSample> batch)
    {
        if (batch.Count < 2)
            return 0;
        var mean = batch.Average(s => (double)s.Offset.Nanoseconds);
        var variance = batch.Sum(s => Math.Pow(s.Offset.Nanoseconds - mean, 2)) / (batch.Count - 1);
        return Math.Sqrt(variance / batch.Count);
    }

    private sealed record Candidate(SourceState Source, OffsetSample Raw, OffsetSample Corrected, Duration Causal, Duration HalfWidth);

    /// <summary>
    /// The kernel adds 500 us to maxerror at every whole second after it was written (the NTP frequency
    /// tolerance). Between updates the engine rewrites it with the current bound on the first reading after each
    /// whole second, so what adjtimex shows exceeds the bound by 500 us for at most one read interval a second.
    /// </summary>
    private ClockCommand? MaxErrorRefresh()
    {
        if (_lastEstimate is null || _controller.State is SyncState.Holdover or SyncState.Acquiring || _controller.JumpUncorrected)
            return null;
        var second = Math.DivRem(_readingEnd.Nanoseconds, Duration.NanosecondsPerSecond, out var rem) - (rem < 0 ? 1 : 0);
        if (second == _lastMaxErrorSecond)
            return null;
        return Written(new ClockCommand { MaxError = CurrentBound(_readingEnd) }, _readingEnd);
    }

    /// <summary>Remembers the whole second in which maxerror was last written.</summary>
    private ClockCommand Written(ClockCommand command, Instant<Utc> at)
    {
        if (command.MaxError is not null)
        {
            var second = Math.DivRem(at.Nanoseconds, Duration.NanosecondsPerSecond, out var rem) - (rem < 0 ? 1 : 0);
            _lastMaxErrorSecond = second;
        }
        return command;
    }

    /// <summary>
    /// Forget the estimate and start over as at start-up, from the kernel's current frequency: the clock was steered
    /// by someone else (see <see cref="ForeignWriterGuard"/>), so nothing learnt about it holds.
    /// </summary>
    public void Restart(double currentFrequencyPpm)
    {
        _estimator.Reset();
        _causal.Forget();
        foreach (var source in _sources.Values)
            source.Batch.Clear();
        _lastFilteredAt = null;
        _lastBatchEndAt = null;
        _lastCommandAt = null;
        _lastEstimate = null;
        _stepOverlapEnd = null;
        _controller.Restart(currentFrequencyPpm);
    }

    /// <summary>Disruptions announced by the hypervisor (<see cref="OnDisruption"/>); each is also a discontinuity.</summary>
    public long Disruptions { get; private set; }

    private bool _disrupted;

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
        foreach (var source in _sources.Values)
            source.Batch.Clear();
        _estimator.Reset();
        _lastEstimate = null;
        _lastBatchEndAt = null;
        _lastFilteredAt = now;
        _lastCommandAt = now;
        _stepOverlapEnd = null;
        _disrupted = true;
        _causal.Forget();
        UpdateLeapState(now);
        var decision = _controller.Disrupted(now, _leapFlags);
        Notify(decision.Adjustment);
        return Written(decision.Command, now);
    }

    /// <summary>A reading failed (or none was due); returns a holdover command when samples stopped coming.</summary>
    public ClockCommand? OnMissedReading(string id, Instant<Utc> localNow, string reason)
    {
        if (_sources.TryGetValue(id, out var source))
        {
            source.Reach = (byte)(source.Reach << 1);
            source.LastFailure = reason;
        }
        return HoldoverIfDue(localNow);
    }

    /// <summary>Called on the timer when no reading happened: keeps the kernel's bound growing in holdover.</summary>
    public ClockCommand? HoldoverIfDue(Instant<Utc> localNow)
    {
        if (_lastFilteredAt is { } last && localNow - last < _options.EffectiveHoldoverAfter)
            return null;
        if (_lastCommandAt is { } lastCommand && localNow - lastCommand < _options.ReadInterval)
            return null;
        _lastCommandAt = localNow;
        UpdateLeapState(localNow);
        var bound = Honest(_estimator.EstimateAt(localNow))?.ErrorBound ?? Duration.FromSeconds(16);
        var decision = _controller.Holdover(localNow, bound, _leapFlags);
        Notify(decision.Adjustment);
        return Written(decision.Command, localNow);
    }

    /// <summary>
    /// Observe mode: the kernel's frequency correction (freq plus tick, ppm) as read back at localNow, before each
    /// reading. A change since the last read was made by someone else (chronyd slews by changing the frequency):
    /// the estimator is told of it as an adjustment dated half way between the two reads, so its model follows the
    /// clock as it really runs. The controller's idea of the current correction is set to the kernel's, so the
    /// commands it proposes (shown by a dry run) start from the truth. Ignored when steering.
    /// </summary>
    public void OnKernelFrequency(Instant<Utc> localNow, double frequencyPpm)
    {
        if (!Observing || !double.IsFinite(frequencyPpm))
            return;
        if (_kernelPpm is { } previous && frequencyPpm != previous)
        {
            var at = _kernelReadAt is { } before && before < localNow ? before + (localNow - before) / 2 : localNow;
            if (_lastFilteredAt is { } lastSample && at <= lastSample)
                at = lastSample + Duration.FromNanoseconds(1);
            var changePpm = DisciplineController.LocalRateChangePpm(previous, frequencyPpm, _lastEstimate?.FrequencyPpm ?? 0);
            _estimator.NotifyAdjustment(new LocalClockAdjustment(at, changePpm, Duration.Zero));
            ExternalAdjustments++;
        }
        _kernelPpm = frequencyPpm;
        _kernelReadAt = localNow;
        _controller.FollowKernel(frequencyPpm);
    }

    /// <summary>Steps someone else made to the clock, seen by <see cref="OnKernelStep"/>.</summary>
    public long ExternalSteps { get; private set; }

    /// <summary>The most recent step someone else made (local time it was seen at, size).</summary>
    public (Instant<Utc> At, Duration Size)? LastExternalStep { get; private set; }

    /// <summary>
    /// Observe mode: someone else (chronyd's makestep) stepped the clock by <paramref name="step"/>, seen as a change of
    /// CLOCK_REALTIME - CLOCK_MONOTONIC between two looks, the later at <paramref name="localNow"/> (after the step, on
    /// the new axis). The estimator is told of it as an exact adjustment dated there, so its model carries on across
    /// the step instead of seeing a jump and starting over; the caller drops any reading taken between the two looks.
    /// The step is dated just after the newest sample (every later sample is from after it). After a step back, the
    /// samples whose local time is not past that one again are on the new axis before the old one's newest: they are
    /// dropped (not taken for a jump). Ignored when steering (the engine's own steps are notified as commanded).
    /// </summary>
    public void OnKernelStep(Instant<Utc> localNow, Duration step)
    {
        if (!Observing || step == Duration.Zero)
            return;
        ExternalSteps++;
        LastExternalStep = (localNow, step);
        if (_lastFilteredAt is not { } lastSample)
            return;
        _estimator.NotifyAdjustment(new LocalClockAdjustment(lastSample + Duration.FromNanoseconds(1), 0, step));
        if (step < Duration.Zero)
            _stepOverlapEnd = lastSample;
    }

    /// <summary>
    /// The bound on |local - reference| now: what is left of the estimated offset (still being slewed away) plus
    /// the estimator's error bound grown to now. Before the first estimate: 16 s, the kernel's "unsynchronized".
    /// </summary>
    public Duration CurrentBound(Instant<Utc> now) =>
        Honest(_estimator.EstimateAt(now)) is { } e ? e.Offset.Abs() + e.ErrorBound : Duration.FromSeconds(16);

    /// <summary>
    /// The delay asymmetry no estimator can see, as a systematic error. Causality is all that is known without a
    /// narrower path: the reference was read somewhere inside [sys_before, sys_after], so a sample's offset is
    /// off by at most half its window (chrony's root delay / 2; a calibrated path's allowance instead). The
    /// estimate is a weighted mean of recent samples, weighted by 1 / Error^2, so it is off by at most the same
    /// weighted mean of their allowances, over the last <see cref="SyncEngineOptions.AsymmetryMemory"/> filtered
    /// samples (rounded up). Cross-timestamps have a zero window: their bound stays tight.
    /// </summary>
    public Duration AsymmetryError
    {
        get
        {
            if (_recentAllowances.Count == 0)
                return Duration.Zero;
            double weighted = 0, weights = 0;
            foreach (var (allowanceNs, weight) in _recentAllowances)
            {
                weighted += weight * allowanceNs;
                weights += weight;
            }
            return Duration.FromNanoseconds((long)Math.Ceiling(weighted / weights - 1e-3));
        }
    }

    /// <summary>
    /// The published bound: the larger of the model's (the estimator's bound plus <see cref="AsymmetryError"/>) and
    /// causality's (<see cref="CausalBound"/>: the newest sample's distance from the estimate plus its allowance, grown
    /// as the model grows since), plus the time scale's ambiguity. Causality holds whichever samples the estimate
    /// leans on; the model covers what a window does not (a cross-timestamp's noise).
    /// </summary>
    private ClockEstimate? Honest(ClockEstimate? estimate)
    {
        if (estimate is null)
            return null;
        var model = estimate.ErrorBound + AsymmetryError;
        var bound = _causal.For(estimate.ErrorBound) is { } causal && causal > model ? causal : model;
        return Steered(estimate with { ErrorBound = bound + _lastAmbiguity });
    }

    /// <summary>The causal part of the bound at the newest sample's time (see <see cref="CausalBound"/>), null before
    /// the first estimate.</summary>
    public Duration? CausalBoundAtSample => _causal.AtSample;

    /// <summary>
    /// Following a computable smear, the estimate is on the continuous axis (TAI - k0); the local clock must
    /// follow smeared time instead: the target offset is smear(t) = smeared(t) - (TAI(t) - k0) and its slope is fed
    /// forward as the target's rate (the controller makes the clock run at 1 + that rate of the continuous axis).
    /// </summary>
    private ClockEstimate Steered(ClockEstimate estimate)
    {
        _targetRatePpm = 0;
        if (_smear is not { } variant || _continuousTaiMinusUtcSeconds is not { } k0)
            return estimate;
        // The continuous axis now: the local clock minus its estimated offset from it.
        var continuousNs = estimate.At.Nanoseconds - estimate.Offset.Nanoseconds;
        var smearNs = SmearNsAt(continuousNs, variant, k0);
        // The slope is the smear's mean rate until the next update, so the phase is right when it comes.
        var spanNs = Math.Max(_options.ReadInterval.Nanoseconds, _controller.UpdateInterval.Nanoseconds);
        var slopePpm = (SmearNsAt(continuousNs + spanNs, variant, k0) - smearNs) / (double)spanNs * 1e6;
        _targetRatePpm = slopePpm;
        return estimate with
        {
            Offset = estimate.Offset - Duration.FromNanoseconds(smearNs),
        };
    }

    /// <summary>smeared(t) - t for t on the continuous axis (TAI - k0 s), ns.</summary>
    private long SmearNsAt(long continuousNs, SmearVariant variant, int k0) =>
        LeapSmear.FromTai(new Instant<Tai>(continuousNs + k0 * Duration.NanosecondsPerSecond), variant, _leapTable).Nanoseconds - continuousNs;

    /// <summary>A sample against what the clock must follow: following a computable smear, the smeared time (the
    /// sample itself is on the continuous axis); otherwise the sample as it is.</summary>
    private OffsetSample TargetOffset(OffsetSample sample, SmearVariant? smear)
    {
        if (smear is not { } variant || _continuousTaiMinusUtcSeconds is not { } k0)
            return sample;
        var continuousNs = sample.LocalTime.Nanoseconds - sample.Offset.Nanoseconds;
        return sample with { Offset = sample.Offset - Duration.FromNanoseconds(SmearNsAt(continuousNs, variant, k0)) };
    }

    public SyncSnapshot Snapshot(Instant<Utc> now)
    {
        var estimate = _lastEstimate;
        var rmsNs = _recentOffsetsNs.Count == 0 ? 0 : Math.Sqrt(_recentOffsetsNs.Average(x => x * x));
        var bound = CurrentBound(now);
        return new SyncSnapshot(
            now,
            _controller.State,
            _selectedId,
            _lastOffset,
            Duration.FromNanoseconds((long)rmsNs),
            _controller.BaseFrequencyPpm ?? _controller.CommandedFrequencyPpm,
            estimate?.FrequencyPpm ?? 0,
            estimate?.FrequencyStdDevPpm ?? 0,
            bound,
            _leapFlags,
            _taiOffsetSeconds ?? 0,
            _controller.Steps,
            _controller.UpdateInterval,
            _sources.Values.Select(s => s.ToSnapshot(s.Id == _selectedId)).ToList())
        {
            StepsByReason = StepReasons.Names.Select(n => (n.Value, _controller.StepsFor(n.Value))).ToList(),
            Jumps = Jumps,
            NoMajority = _noMajority,
        };
    }

    /// <summary>Tells the estimator of an adjustment the controller made; when observing, nothing was applied.</summary>
    private void Notify(LocalClockAdjustment? adjustment)
    {
        if (adjustment is not { } a || Observing)
            return;
        _estimator.NotifyAdjustment(a);
        // After a backward step the local clock shows times it showed before: until it passes the step's instant
        // again a sample's local time does not say on which side of the step it was taken.
        if (a.Step < Duration.Zero)
            _stepOverlapEnd = a.At;
    }

    /// <summary>How far the sample is off the prediction, when that is more than noise and the bound can explain.</summary>
    private Duration? JumpIn(OffsetSample sample)
    {
        if (_options.JumpThreshold <= Duration.Zero || (_stepOverlapEnd is { } end && sample.LocalTime <= end)
            || _estimator.EstimateAt(sample.LocalTime) is not { } predicted)
            return null;
        var deviation = sample.Offset - predicted.Offset;
        var sinceLast = _lastFilteredAt is { } last && sample.LocalTime > last ? sample.LocalTime - last : Duration.Zero;
        var rateRunUp = Duration.FromNanoseconds((long)Math.Ceiling(sinceLast.Nanoseconds * _options.JumpRateAllowancePpm * 1e-6));
        var explained = sample.Delay + sample.Error + predicted.ErrorBound + _options.JumpThreshold + rateRunUp;
        return deviation.Abs() > explained ? deviation : null;
    }

    /// <summary>
    /// The clock jumped: what the estimator knew about the offset is void. Restart it from this sample, drop the
    /// interval's earlier samples (from before the jump) and let the controller correct the offset at once.
    /// </summary>
    private ClockCommand OnJump(OffsetSample sample, Duration jump)
    {
        Discontinuities++;
        Jumps++;
        LastJump = (sample.LocalTime, jump);
        foreach (var source in _sources.Values)
            source.Batch.Clear();
        _lastBatchEndAt = sample.LocalTime;
        _lastFilteredAt = sample.LocalTime;
        _lastCommandAt = sample.LocalTime;
        _estimator.RestartAfterJump();
        _estimator.Add(sample);
        _causal.Observe(sample, Duration.FromNanoseconds((sample.Delay.Nanoseconds + 1) / 2), _estimator.EstimateAt(sample.LocalTime));
        _lastOffset = sample.Offset;
        RaiseEstimateMeasured(sample);

        var now = _readingEnd > sample.LocalTime ? _readingEnd : sample.LocalTime + Duration.FromNanoseconds(1);
        UpdateLeapState(now);
        // The step is only as good as this one sample: what it leaves within the sample's own uncertainty is slewed.
        var decision = _controller.Jump(now, sample.Offset, _leapFlags, _taiOffsetSeconds, sample.Delay / 2 + sample.Error);
        Notify(decision.Adjustment);
        return Written(decision.Command, now);
    }

    private ClockCommand? OnFilteredSample(OffsetSample sample)
    {
        _lastFilteredAt = sample.LocalTime;
        _lastCommandAt = sample.LocalTime;
        var outcome = _estimator.Add(sample);
        if (outcome is not (SampleOutcome.OutOfOrder or SampleOutcome.Invalid))
            _causal.Observe(sample, _lastAllowance, _estimator.EstimateAt(sample.LocalTime));
        if (outcome is SampleOutcome.OutOfOrder or SampleOutcome.Invalid)
        {
            // Not newer than the last sample on the local clock: the clock was just stepped back and the samples
            // taken since are on the new axis before the old one's newest. They carry nothing the estimate can use
            // until the clock passes that point again, and acting on the unchanged estimate would repeat the step.
            return MaxErrorRefresh();
        }
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

        var now = _readingEnd > sample.LocalTime ? _readingEnd : sample.LocalTime + Duration.FromNanoseconds(1);
        UpdateLeapState(now);
        RaiseEstimateMeasured(sample);
        var estimate = Honest(_estimator.EstimateAt(now));
        if (estimate is null)
            return new ClockCommand { Status = ClockStatus.Unsynchronized | _leapFlags };

        _lastEstimate = estimate;
        _lastOffset = estimate.Offset;
        _recentOffsetsNs.Enqueue(sample.Offset.Nanoseconds);
        if (_recentOffsetsNs.Count > RmsWindow)
            _recentOffsetsNs.Dequeue();

        var decision = _controller.Update(estimate, _leapFlags, _taiOffsetSeconds, _targetRatePpm);
        Notify(decision.Adjustment);
        return Written(decision.Command, now);
    }

    private void RaiseEstimateMeasured(OffsetSample sample)
    {
        if (EstimateMeasured is not { } handler)
            return;
        // Before the estimate at now: Honest sets the smear's target rate, which the controller must get for now.
        var atSample = Honest(_estimator.EstimateAt(sample.LocalTime));
        handler(_selectedId ?? "", atSample is { } e
            ? sample with { Offset = e.Offset, Error = e.ErrorBound }
            : TargetOffset(sample, _smear));
    }

    private OffsetSample? ToOffsetSample(ReducedSample sample, ClockScale scale, SourceState source)
    {
        // A reading near a leap is ambiguous (UTC repeats a second) unless it comes from a computable smear.
        var followsComputableSmear = scale.Scale == TimeScale.UtcSmeared && _options.Leap == LeapPolicy.FollowSmear
            && LeapSmear.IsComputable(scale.Variant);
        var leap = _leapTable.NextAfter(sample.LocalTime - _options.LeapQuietWindow);
        if (!followsComputableSmear && leap is { } l && (sample.LocalTime - l.Effective).Abs() < _options.LeapQuietWindow)
            return null;

        Instant<Utc> referenceUtc;
        var ambiguity = Duration.Zero;
        source.Smear = null;
        if (followsComputableSmear)
        {
            // Estimate against a continuous axis (the reference unsmeared to TAI, minus TAI - UTC fixed at the
            // first sample) so the estimators never see the smear's frequency step; the controller is given the
            // smear as its target (see Steered).
            var tai = LeapSmear.ToTai(new Instant<UtcSmeared>(sample.Reference.Nanoseconds), scale.Variant, _leapTable);
            _continuousTaiMinusUtcSeconds ??= _leapTable.TaiMinusUtcAt(sample.LocalTime);
            referenceUtc = new Instant<Utc>(tai.Nanoseconds - _continuousTaiMinusUtcSeconds.Value * Duration.NanosecondsPerSecond);
            source.Smear = scale.Variant;
        }
        else if (scale.Scale == TimeScale.UtcSmeared && _options.Leap == LeapPolicy.FollowSmear)
        {
            referenceUtc = new Instant<Utc>(sample.Reference.Nanoseconds);
        }
        else if (scale.Scale == TimeScale.UtcMaybeSmeared)
        {
            // A clock that may step or smear: taken as UTC (the step case, which the kernel's leap insertion then
            // matches); whatever it does instead lies within the conversion's span, which the bound covers.
            var converted = TimeScaleConverter.ToUtc(sample.Reference, _leapTable);
            if (!converted.IsSuccess)
                return null;
            referenceUtc = new Instant<Utc>(sample.Reference.Nanoseconds);
            ambiguity = converted.Ambiguity * 2;
        }
        else
        {
            var converted = TimeScaleConverter.ToUtc(sample.Reference, _leapTable);
            if (!converted.IsSuccess)
                return null;
            referenceUtc = converted.Utc;
            ambiguity = converted.Ambiguity;
        }
        // The ambiguity is systematic (averaging does not shrink it): it widens the bound, not the sample's noise.
        source.Ambiguity = ambiguity;
        return new OffsetSample(sample.LocalTime, sample.LocalTime - referenceUtc, sample.Delay, sample.Error);
    }

    private void UpdateLeapState(Instant<Utc> localNow)
    {
        _taiOffsetSeconds = _leapTable.TaiMinusUtcAt(localNow);
        _leapFlags = ClockStatus.None;
        if (_options.Leap is LeapPolicy.Slew or LeapPolicy.FollowSmear)
            return;
        if (_leapTable.NextAfter(localNow) is not { } leap)
            return;
        var untilLeap = leap.Effective - localNow;
        if (untilLeap <= Duration.Zero || untilLeap > Duration.FromSeconds(86_400))
            return;
        var change = leap.TaiMinusUtcSeconds - _leapTable.TaiMinusUtcAt(localNow);
        _leapFlags = change > 0 ? ClockStatus.InsertLeap : change < 0 ? ClockStatus.DeleteLeap : ClockStatus.None;
    }

    private SourceState Source(string id, ClockScale scale)
    {
        if (!_sources.TryGetValue(id, out var source))
        {
            AddSource(id, id, scale);
            source = _sources[id];
        }
        return source;
    }

    private sealed class SourceState(string id, string name, ClockScale scale, ReadingReducer reducer)
    {
        public string Id { get; } = id;
        public ReadingReducer Reducer { get; } = reducer;
        public int Preference { get; init; }
        public SourceCalibration? Configured { get; init; }
        public PathCalibration Measured { get; } = new();
        public List<OffsetSample> Batch { get; } = [];
        public Duration Ambiguity { get; set; }
        public SmearVariant? Smear { get; set; }
        public byte Reach { get; set; }
        public long Readings { get; set; }
        public long Samples { get; set; }
        public ReadingMethod? Method { get; set; }
        public Duration? LastDelay { get; set; }
        public Duration? LastOffset { get; set; }
        public Duration? LastError { get; set; }
        public string? LastFailure { get; set; }
        public Duration? LastWindow { get; set; }
        public Duration? LastCorrectedOffset { get; set; }
        public Queue<long> RecentWindowsNs { get; } = new();
        public int StalledRun { get; set; }
        public long StalledSamples { get; set; }
        public SourceCalibration Calibration { get; set; }
        public CalibrationOrigin Origin { get; set; }
        public SourceVerdict Verdict { get; set; }

        public SourceSnapshot ToSnapshot(bool selected) =>
            new(Id, name, scale, selected, Reach, Method, LastDelay, LastOffset, LastError, Samples, LastFailure)
            {
                Window = LastWindow,
                CorrectedOffset = LastCorrectedOffset,
                Correction = LastWindow is null ? null : Calibration.Correction,
                Allowance = LastWindow is null ? null : Calibration.Allowance,
                Calibration = Origin,
                Verdict = Verdict,
                CalibrationPairs = Measured.Count,
                StalledSamples = StalledSamples,
            };
    }

    /// <summary>The calibration each source has now (configured, measured or none), by source id.</summary>
    public IReadOnlyDictionary<string, (SourceCalibration Calibration, CalibrationOrigin Origin, SourceCalibration? Measured)> Calibrations =>
        _sources.Values.ToDictionary(s => s.Id, s => (s.Calibration, s.Origin, s.Measured.Current));
}
