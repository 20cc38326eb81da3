namespace Sync.Filters.Estimation;

/// <summary>
/// What <see cref="KalmanEstimator"/>'s bound adds beyond its wander model's dt past the last update: the offset a
/// frequency moving as it has been seen to move can gather (<see cref="FrequencyDrift"/>), and in holdover at least
/// what a drift of <see cref="KalmanOptions.HoldoverDriftPpbPerS"/> gathers once no sample came for
/// <see cref="KalmanOptions.HoldoverAfterIntervals"/> read intervals. Nothing between reads of a well-learnt model;
/// in a long holdover it is what a persistent drift (a thermal cycle) adds beyond the random-walk wander learnt over
/// the filter's memory.
/// </summary>
internal sealed class HoldoverAllowance
{
    /// <summary>Spacings of used samples kept for the read interval.</summary>
    private const int SpacingMemory = 8;

    private readonly KalmanOptions _options;
    private readonly FrequencyDrift _frequencyDrift;
    /// <summary>Seconds between the last used samples (the read interval as the estimator sees it).</summary>
    private readonly Queue<double> _recentSpacingS = new();
    /// <summary>Their median, kept as they come (the bound is asked for far more often than a sample is used).</summary>
    private double? _medianSpacingS;

    public HoldoverAllowance(KalmanOptions options, FrequencyDrift frequencyDrift)
    {
        _options = options;
        _frequencyDrift = frequencyDrift;
    }

    /// <summary>Seconds from the previous used sample to this one.</summary>
    public void AddSpacing(double spacingS)
    {
        _recentSpacingS.Enqueue(spacingS);
        while (_recentSpacingS.Count > SpacingMemory) _recentSpacingS.Dequeue();
        Span<double> sorted = stackalloc double[_recentSpacingS.Count];
        var i = 0;
        foreach (var s in _recentSpacingS) sorted[i++] = s;
        sorted.Sort();
        _medianSpacingS = sorted[sorted.Length / 2];
    }

    /// <summary>
    /// The model-free bound dtS past the last update, BoundSigmas sd of the state alone (stateAlone: offset and
    /// frequency error predicted without process noise) plus the offset the observed frequency changes can gather,
    /// less modelBoundNs where it is wider than the model's (0 otherwise).
    /// </summary>
    public double BeyondModelNs(double dtS, double modelBoundNs, Func<double, ClockGaussian> stateAlone)
    {
        if (!(dtS > 0)) return 0;
        // What was seen and, in holdover, a steepening the past cannot show: both, not the larger one (a thermal cycle
        // seen for less than its period steepens past the drift it showed: random world 1-297, 0.95 ppb/s seen, 1.53
        // ppb/s in the outage). Independent of each other, so their offsets add in quadrature.
        double seenNs = _frequencyDrift.OffsetExcursionNs(dtS), unseenNs = UnseenDriftNs(dtS);
        double excursionNs = Math.Sqrt(seenNs * seenNs + unseenNs * unseenNs);
        if (excursionNs <= 0) return 0;
        var state = stateAlone(dtS);
        double empiricalNs = _options.BoundSigmas * Math.Sqrt(Math.Max(0, state.P00)) + excursionNs;
        return Math.Max(0, empiricalNs - modelBoundNs);
    }

    /// <summary>
    /// What a drift of <see cref="KalmanOptions.HoldoverDriftPpbPerS"/> gathers once no sample came for
    /// <see cref="KalmanOptions.HoldoverAfterIntervals"/> read intervals: D (dt - h)^2 / 2. Nothing between regular reads,
    /// where each sample checks the model; in holdover nothing does.
    /// </summary>
    private double UnseenDriftNs(double dtS)
    {
        if (_options.HoldoverDriftPpbPerS <= 0 || _medianSpacingS is not { } spacingS) return 0;
        double blindS = dtS - _options.HoldoverAfterIntervals * spacingS;
        return blindS > 0 ? _options.HoldoverDriftPpbPerS * blindS * blindS / 2 : 0;
    }
}
