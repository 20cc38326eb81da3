namespace Sync.Clock.Simulation;

/// <summary>
/// The guest's frequency error as a function of true time, and its phase (integrated error) in nanoseconds.
/// The constant, periodic and jump parts integrate in closed form; the random walk changes at fixed 1 s
/// sub-steps (seeded), constant within each, so the phase is exact and deterministic. Time may only move
/// forward past the current sub-step.
/// </summary>
public sealed class Oscillator
{
    public const long WanderStepNs = 1_000_000_000L;
    private const double PpmToFraction = 1e-6;

    private readonly OscillatorSettings _settings;
    private readonly long _originNs;
    private readonly SimRandom _random;
    private readonly double _wanderPerStepPpm;
    private readonly (double AmplitudePpm, double AngularPerNs, double PhaseRad)[] _terms;
    private readonly List<(long AtNs, double Ppm)> _jumps = [];

    private long _walkStepStartNs;
    private double _walkFreqPpm;
    private double _walkPhaseAtStepStartNs;

    public Oscillator(OscillatorSettings settings, ulong seed, long originTrueNs)
    {
        var problems = settings.Validate("oscillator.").ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems), nameof(settings));
        _settings = settings;
        _originNs = originTrueNs;
        _random = SimRandom.Derive(seed, 0x05C1);
        _wanderPerStepPpm = settings.WanderPpmPerSqrtS * Math.Sqrt(WanderStepNs / 1e9);
        _terms = [.. settings.AllPeriodicTerms().Select(t => (t.AmplitudePpm, 2 * Math.PI / (t.PeriodS * 1e9), t.PhaseRad))];
        _walkStepStartNs = originTrueNs;
    }

    public OscillatorSettings Settings => _settings;

    /// <summary>From atTrueNs on the frequency error is higher by ppm (e.g. live migration to another host).</summary>
    public void AddJump(long atTrueNs, double ppm)
    {
        if (!double.IsFinite(ppm)) throw new ArgumentException("jump must be finite", nameof(ppm));
        _jumps.Add((atTrueNs, ppm));
    }

    /// <summary>Frequency error (ppm) at trueNs.</summary>
    public double FrequencyPpmAt(long trueNs)
    {
        AdvanceWalk(trueNs);
        var tau = trueNs - _originNs;
        var ppm = _settings.OffsetPpm + _walkFreqPpm;
        foreach (var (amplitude, angular, phase) in _terms)
            ppm += amplitude * Math.Sin(angular * tau + phase);
        foreach (var (atNs, jumpPpm) in _jumps)
            if (trueNs >= atNs) ppm += jumpPpm;
        return ppm;
    }

    /// <summary>Time the guest oscillator has gained on true time since the origin, in ns.</summary>
    public double PhaseNsAt(long trueNs)
    {
        AdvanceWalk(trueNs);
        double tau = trueNs - _originNs;
        var phase = _settings.OffsetPpm * PpmToFraction * tau;
        foreach (var (amplitude, angular, start) in _terms)
            phase += amplitude * PpmToFraction * (Math.Cos(start) - Math.Cos(angular * tau + start)) / angular;
        phase += _walkPhaseAtStepStartNs + _walkFreqPpm * PpmToFraction * (trueNs - _walkStepStartNs);
        foreach (var (atNs, jumpPpm) in _jumps)
            if (trueNs > atNs) phase += jumpPpm * PpmToFraction * (trueNs - atNs);
        return phase;
    }

    private void AdvanceWalk(long trueNs)
    {
        if (trueNs < _walkStepStartNs)
            throw new InvalidOperationException($"oscillator evaluated at {trueNs} ns, before its current step at {_walkStepStartNs} ns: simulated time only moves forward");
        if (_wanderPerStepPpm == 0) return;
        while (trueNs >= _walkStepStartNs + WanderStepNs)
        {
            _walkPhaseAtStepStartNs += _walkFreqPpm * PpmToFraction * WanderStepNs;
            _walkFreqPpm += _wanderPerStepPpm * _random.NextGaussian();
            _walkStepStartNs += WanderStepNs;
        }
    }
}
