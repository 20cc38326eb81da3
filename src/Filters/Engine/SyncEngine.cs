using Sync.Filters.Discipline;
using Sync.Filters.Estimation;
using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// The sans-I/O sync core: PHC readings in, clock commands out. Each reading is reduced to one sample,
/// converted to UTC by the reference's time scale and the leap policy, collected for one update interval and
/// median-filtered; the filtered sample feeds the estimator (unless it starts a discontinuity), and the
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
    private readonly List<OffsetSample> _batch = [];
    private readonly Queue<double> _recentOffsetsNs = new();
    private Instant<Utc>? _lastFilteredAt;
    private Instant<Utc>? _lastBatchEndAt;
    private Instant<Utc> _readingEnd;
    private Instant<Utc>? _lastCommandAt;
    private ClockEstimate? _lastEstimate;
    private Duration? _lastOffset;
    private KernelStatus _leapFlags;
    private int? _taiOffsetSeconds;
    private int? _observedTaiMinusUtc;

    public SyncEngine(SyncEngineOptions options, LeapSecondTable leapTable, double initialFrequencyPpm = 0)
    {
        _options = options;
        _leapTable = leapTable;
        _estimator = EstimatorFactory.Create(options.Estimator);
        _controller = new DisciplineController(options.Discipline, initialFrequencyPpm);
    }

    public SyncState State => _controller.State;
    public long Steps => _controller.Steps;
    public long Discontinuities { get; private set; }
    public ClockEstimate? LastEstimate => _lastEstimate;
    public DisciplineController Controller => _controller;

    /// <summary>Register a reference clock so it shows in the snapshot before its first reading.</summary>
    public void AddSource(string id, string name, ClockScale scale) =>
        _sources.TryAdd(id, new SourceState(id, name, scale, new ReadingReducer(_options.Reduction, _options.ReadingPrecision)));

    /// <summary>TAI - UTC as read from a device that serves both (preferred over an expired table).</summary>
    public void ObserveTaiMinusUtc(int seconds) => _observedTaiMinusUtc = seconds;

    /// <summary>A reading of source id; returns the command to apply, or null when there is nothing to do yet.</summary>
    public ClockCommand? OnReading(string id, PhcReading reading)
    {
        var source = Source(id, reading.PhcScale);
        source.Reach = (byte)((source.Reach << 1) | 1);
        source.Readings++;
        source.Method = reading.Method;

        // Commands take effect after the reading: estimates and adjustments are dated just after its last timestamp.
        _readingEnd = new Instant<Utc>(reading.Samples.Max(t => t.SysAfterNs) + 1);
        var reduced = source.Reducer.Reduce(reading);
        if (reduced.Sample is not { } sample)
        {
            source.LastFailure = reduced.RejectReason;
            return null;
        }
        source.LastDelay = sample.Delay;

        if (ToOffsetSample(sample, reading.PhcScale) is not { } offsetSample)
            return null;
        source.LastOffset = offsetSample.Offset;
        source.LastError = offsetSample.Error;
        source.Samples++;

        _batch.Add(offsetSample);
        if (_lastBatchEndAt is { } lastEnd
            && offsetSample.LocalTime - lastEnd < _options.UpdateInterval * 9 / 10)
            return null;
        _lastBatchEndAt = offsetSample.LocalTime;

        var filtered = MedianFilter.Combine(_batch);
        _batch.Clear();
        return filtered is { } f ? OnFilteredSample(f.Sample) : null;
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
        if (_lastFilteredAt is { } last && localNow - last < _options.HoldoverAfter)
            return null;
        if (_lastCommandAt is { } lastCommand && localNow - lastCommand < _options.UpdateInterval)
            return null;
        _lastCommandAt = localNow;
        UpdateLeapState(localNow);
        var bound = _estimator.EstimateAt(localNow)?.ErrorBound ?? Duration.FromSeconds(16);
        var decision = _controller.Holdover(localNow, bound, _leapFlags);
        if (decision.Adjustment is { } adjustment)
            _estimator.NotifyAdjustment(adjustment);
        return decision.Command;
    }

    /// <summary>
    /// The bound on |local - reference| now: what is left of the estimated offset (still being slewed away) plus
    /// the estimator's error bound grown to now. Before the first estimate: 16 s, the kernel's "unsynchronized".
    /// </summary>
    public Duration CurrentBound(Instant<Utc> now) =>
        _estimator.EstimateAt(now) is { } e ? e.Offset.Abs() + e.ErrorBound : Duration.FromSeconds(16);

    public SyncSnapshot Snapshot(Instant<Utc> now)
    {
        var estimate = _lastEstimate;
        var rmsNs = _recentOffsetsNs.Count == 0 ? 0 : Math.Sqrt(_recentOffsetsNs.Average(x => x * x));
        var bound = CurrentBound(now);
        return new SyncSnapshot(
            now,
            _controller.State,
            _sources.Values.FirstOrDefault(s => s.Samples > 0)?.Id,
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
            _sources.Values.Select(s => s.ToSnapshot()).ToList());
    }

    private ClockCommand OnFilteredSample(OffsetSample sample)
    {
        _lastFilteredAt = sample.LocalTime;
        _lastCommandAt = sample.LocalTime;
        if (_estimator.Add(sample) == SampleOutcome.Discontinuity)
        {
            Discontinuities++;
            _controller.EnterRecovery();
        }

        var now = _readingEnd > sample.LocalTime ? _readingEnd : sample.LocalTime + Duration.FromNanoseconds(1);
        UpdateLeapState(now);
        var estimate = _estimator.EstimateAt(now);
        if (estimate is null)
            return new ClockCommand { Status = KernelStatus.Unsynchronized | _leapFlags };

        _lastEstimate = estimate;
        _lastOffset = estimate.Offset;
        _recentOffsetsNs.Enqueue(sample.Offset.Nanoseconds);
        if (_recentOffsetsNs.Count > RmsWindow)
            _recentOffsetsNs.Dequeue();

        var decision = _controller.Update(estimate, _leapFlags, _taiOffsetSeconds);
        if (decision.Adjustment is { } adjustment)
            _estimator.NotifyAdjustment(adjustment);
        return decision.Command;
    }

    private OffsetSample? ToOffsetSample(ReducedSample sample, ClockScale scale)
    {
        var leap = _leapTable.NextAfter(sample.LocalTime - _options.LeapQuietWindow);
        if (leap is { } l && (sample.LocalTime - l.Effective).Abs() < _options.LeapQuietWindow)
            return null;

        Instant<Utc> referenceUtc;
        var ambiguity = Duration.Zero;
        if (scale.Scale == TimeScale.UtcSmeared && _options.Leap == LeapPolicy.FollowSmear)
        {
            referenceUtc = new Instant<Utc>(sample.Reference.Nanoseconds);
        }
        else if (scale.Scale == TimeScale.Tai && _observedTaiMinusUtc is { } observed && _leapTable.IsExpiredAt(sample.LocalTime))
        {
            referenceUtc = new Instant<Utc>(sample.Reference.Nanoseconds - observed * Duration.NanosecondsPerSecond);
        }
        else
        {
            var converted = TimeScaleConverter.ToUtc(sample.Reference, _leapTable);
            if (!converted.IsSuccess)
                return null;
            referenceUtc = converted.Utc;
            ambiguity = converted.Ambiguity;
        }
        return new OffsetSample(sample.LocalTime, sample.LocalTime - referenceUtc, sample.Delay, sample.Error + ambiguity);
    }

    private void UpdateLeapState(Instant<Utc> localNow)
    {
        _taiOffsetSeconds = _observedTaiMinusUtc is { } observed && _leapTable.IsExpiredAt(localNow)
            ? observed
            : _leapTable.TaiMinusUtcAt(localNow);
        _leapFlags = KernelStatus.None;
        if (_options.Leap is LeapPolicy.Slew or LeapPolicy.FollowSmear)
            return;
        if (_leapTable.NextAfter(localNow) is not { } leap)
            return;
        var untilLeap = leap.Effective - localNow;
        if (untilLeap <= Duration.Zero || untilLeap > Duration.FromSeconds(86_400))
            return;
        var change = leap.TaiMinusUtcSeconds - _leapTable.TaiMinusUtcAt(localNow);
        _leapFlags = change > 0 ? KernelStatus.InsertLeap : change < 0 ? KernelStatus.DeleteLeap : KernelStatus.None;
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
        public byte Reach { get; set; }
        public long Readings { get; set; }
        public long Samples { get; set; }
        public ReadingMethod? Method { get; set; }
        public Duration? LastDelay { get; set; }
        public Duration? LastOffset { get; set; }
        public Duration? LastError { get; set; }
        public string? LastFailure { get; set; }

        public SourceSnapshot ToSnapshot() =>
            new(Id, name, scale, Samples > 0, Reach, Method, LastDelay, LastOffset, LastError, Samples, LastFailure);
    }
}
