using Sync.Filters.Time;

namespace Sync.Filters.Selection;

/// <summary>Where a calibration came from: none (causality only), the configuration, or measured against a narrower path.</summary>
public enum CalibrationOrigin { None, Configured, Measured }

/// <summary>
/// What is known about a path's delay asymmetry: its offsets read Correction too high (the device reads the
/// reference away from the window's midpoint), and the truth lies within Allowance of the corrected offset.
/// Without calibration the correction is zero and the allowance is half the window (causality).
/// </summary>
public readonly record struct SourceCalibration(Duration Correction, Duration Allowance);
