using Sync.Filters.Discipline;
using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Selection;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>Which estimator turns filtered samples into offset and frequency.</summary>
public enum EstimatorKind { Regression, Kalman }

/// <summary>Tuning of the whole sync engine; defaults documented here.</summary>
public sealed record SyncEngineOptions
{
    /// <summary>Readings are reduced by chrony's delay band (default) or phc2sys's fastest sample.</summary>
    public ReductionRule Reduction { get; init; } = ReductionRule.DelayBand;

    /// <summary>The precision of one PHC reading: no sample's error is smaller.</summary>
    public Duration ReadingPrecision { get; init; } = Duration.FromNanoseconds(1);

    /// <summary>
    /// Time between readings (configuration: sources:readIntervalSeconds, 0.01..3600 s; the simulator: the
    /// scenario's read_interval_s). Every reading step is an update of the estimate and the clock (a step's
    /// readings, one per source, are combined); the time constants that are not counted in readings follow it
    /// (holdover after <see cref="HoldoverAfterReadings"/> readings, the smear's feed-forward span). Default
    /// 0.25 s, the daemon's default.
    /// </summary>
    public Duration ReadInterval { get; init; } = Duration.FromMilliseconds(250);

    /// <summary>The estimator: Kalman (default; better than the regression in every bench scenario) or Regression.</summary>
    public EstimatorKind Estimator { get; init; } = EstimatorKind.Kalman;

    /// <summary>
    /// How many filtered samples back the asymmetry allowance looks (default 64, about the Kalman filter's memory
    /// at 1 s updates). The estimate is a weighted mean of recent samples, each weighted by the inverse square of
    /// its error (half its window: both estimators weight so), so its asymmetry error is at most the same weighted
    /// mean of their allowances: that is the model's allowance (the published bound is at least the causal one too,
    /// see <see cref="CausalBound"/>, which holds however the estimator really weighs its samples). A wide window costs a sample
    /// weight as much as it widens its allowance, so a few slow reads barely move it (the widest window of the
    /// memory did: a stalled read of 2 s kept the bound at milliseconds for minutes in the lab). The same samples
    /// give each source's typical window for <see cref="StalledWindowRatio"/>.
    /// </summary>
    public int AsymmetryMemory { get; init; } = 64;

    /// <summary>
    /// A filtered sample whose window (mean sys_after - sys_before) is more than this many times its source's
    /// typical one (the median of its last <see cref="AsymmetryMemory"/> used samples) is a stalled read: the
    /// device answered late because its back end or the host was not running, so its read point says little. It
    /// is left out (reported as the source's last failure, counted per source), as chrony's maxdelayratio and
    /// ntpd's delay test do. Default 4; 0 turns the test off. See <see cref="StalledRunLimit"/>.
    /// </summary>
    public double StalledWindowRatio { get; init; } = 4;

    /// <summary>
    /// After this many stalled samples in a row from one source the path itself has changed: the source's typical
    /// window is forgotten and its samples are used again (default 8, 2 s at the default read interval: shorter
    /// than holdover).
    /// </summary>
    public int StalledRunLimit { get; init; } = 8;

    /// <summary>
    /// Fixed per-source calibrations by source id (the clock's device path): the path's offsets read Correction
    /// too high, and the truth is within Allowance of the corrected offset (`sources:calibration`, measured by
    /// `virtsyncd calibrate`). A configured calibration replaces the half window as that source's allowance.
    /// </summary>
    public IReadOnlyDictionary<string, SourceCalibration> Calibrations { get; init; } = new Dictionary<string, SourceCalibration>();

    /// <summary>
    /// When several sources are read, measure each wider path against the selected (narrower) one
    /// (<see cref="PathCalibration"/>) and use that calibration where its allowance beats the half window.
    /// </summary>
    public bool CalibrateWiderPaths { get; init; } = true;

    /// <summary>Tuning of the Kalman estimator (defaults: <see cref="KalmanOptions"/>).</summary>
    public KalmanOptions Kalman { get; init; } = new();

    /// <summary>Tuning of the regression estimator (defaults: <see cref="RegressionOptions"/>).</summary>
    public RegressionOptions Regression { get; init; } = new();

    public LeapPolicy Leap { get; init; } = LeapPolicy.Kernel;

    /// <summary>No reference samples must be taken this close to a leap second (the UTC reading is ambiguous there).</summary>
    public Duration LeapQuietWindow { get; init; } = Duration.FromSeconds(2);

    /// <summary>
    /// A single sample off the estimator's prediction by more than this plus everything that could explain it (the
    /// sample's delay and error, the estimate's bound) is a jump of the clock: a pause, snapshot restore or
    /// migration moved it, no noise can. It is acted on at that sample (stepped back where steps after a
    /// discontinuity are allowed) instead of after the detector's run of outliers. Default 1 ms, the recovery step
    /// threshold: smaller jumps are found by the detector a few updates later and slewed. Zero turns it off.
    /// The reference's rate may have changed since the last sample too (a host clock's daemon moves it by up to
    /// <see cref="JumpRateAllowancePpm"/>): what that could run up meanwhile explains a sample as well, so at a slow
    /// read interval a rate change is found by the detector and slewed, not taken for a jump and stepped.
    /// </summary>
    public Duration JumpThreshold { get; init; } = Duration.FromMilliseconds(1);

    /// <summary>The largest change of the reference's rate a single sample is allowed to show without being a jump
    /// (<see cref="JumpThreshold"/>): 500 ppm, the kernel's ADJ_FREQUENCY range, the most a host daemon steers its
    /// clock's rate. 120 us at 0.25 s reads; 26 ms at 52 s reads.</summary>
    public double JumpRateAllowancePpm { get; init; } = 500;

    /// <summary>No sample for this long means holdover, or for <see cref="HoldoverAfterReadings"/> read intervals
    /// when that is longer. Default 3 s.</summary>
    public Duration HoldoverAfter { get; init; } = Duration.FromSeconds(3);

    /// <summary>Holdover starts no sooner than this many read intervals after the last sample. Default 3.</summary>
    public int HoldoverAfterReadings { get; init; } = 3;

    /// <summary>The holdover delay in effect: the longer of <see cref="HoldoverAfter"/> and
    /// <see cref="HoldoverAfterReadings"/> read intervals.</summary>
    public Duration EffectiveHoldoverAfter => Duration.Max(HoldoverAfter, ReadInterval * HoldoverAfterReadings);

    public DisciplineControllerOptions Discipline { get; init; } = new();

    /// <summary>Steer (default: the commands are applied) or Observe (they are not: chrony agent, dry run).</summary>
    public ClockControl Control { get; init; } = ClockControl.Steer;
}
