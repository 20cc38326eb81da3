namespace Sync.Filters.Selection;

/// <summary>
/// What the combiner made of a source in the last update: Selected (its sample fed the estimator), Truechimer (it
/// agrees with the selected one within their bounds, kept for failover and calibration), Falseticker (its bound
/// excludes what the majority agrees on: reported and left out, chrony's term), or NoSample (none this update).
/// </summary>
public enum SourceVerdict { NoSample, Selected, Truechimer, Falseticker }
