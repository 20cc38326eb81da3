using Sync.Filters.Samples;
using Sync.Filters.Selection;
using Sync.Filters.Status;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>The reference clocks the engine reads, by id, in order of preference (the order they were added).</summary>
internal sealed class SourceSet(SyncEngineOptions options)
{
    private readonly Dictionary<string, SourceState> _sources = [];

    public IEnumerable<SourceState> All => _sources.Values;

    /// <summary>The source followed: the one read alone in a step, else the one the last update selected (null before).</summary>
    public string? FollowedId { get; set; }

    /// <summary>Registers a source (nothing when the id is known), with its configured calibration if any.</summary>
    public void Add(string id, string name, ClockScale scale)
    {
        if (_sources.ContainsKey(id))
            return;
        _sources[id] = new SourceState(id, name, scale, new ReadingReducer(options.Reduction, options.ReadingPrecision))
        {
            Preference = _sources.Count,
            Configured = options.Calibrations.TryGetValue(id, out var calibration) ? calibration : null,
        };
    }

    /// <summary>The source with this id, registered under the id as its name when it was not known.</summary>
    public SourceState GetOrAdd(string id, ClockScale scale)
    {
        Add(id, id, scale);
        return _sources[id];
    }

    public bool TryGet(string id, out SourceState source) => _sources.TryGetValue(id, out source!);

    /// <summary>Drops every source's samples of the current update interval.</summary>
    public void ClearBatches()
    {
        foreach (var source in _sources.Values)
            source.Batch.Clear();
    }

    /// <summary>
    /// The delay-corrected filter's state for a source (<see cref="ReductionRule.DelayCorrected"/>): the slope K it
    /// uses, how far it moved the source's last reading, the slope learnt within readings and the one seen across
    /// readings with its standard error (NaN, infinite before it exists); null for another filter or source.
    /// </summary>
    public (double Slope, Duration LastShift, double Within, double Across, double AcrossError)? DelayCorrection(string id) =>
        TryGet(id, out var source) && source.Reducer.Rule == ReductionRule.DelayCorrected
            ? (source.Reducer.AsymmetrySlope, source.Reducer.LastAsymmetryShift, source.Reducer.WithinReadingSlope,
                source.Reducer.AcrossReadingSlope ?? double.NaN, source.Reducer.AcrossReadingSlopeError)
            : null;

    public IReadOnlyList<SourceSnapshot> Snapshots(string? selectedId) =>
        _sources.Values.Select(s => s.ToSnapshot(s.Id == selectedId)).ToList();

    public IReadOnlyDictionary<string, (SourceCalibration Calibration, CalibrationOrigin Origin, SourceCalibration? Measured)> Calibrations =>
        _sources.Values.ToDictionary(s => s.Id, s => (s.Calibration, s.Origin, s.Measured.Current));
}
