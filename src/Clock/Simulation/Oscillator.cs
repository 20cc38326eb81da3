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
    private readonly double _angularPerNs;
    private readonly List<(long AtNs, double Ppm)> _jumps = [];

    private long _walkStepStartNs;
    private double _walkFreqPpm;
    private double _walkPhaseAtStepStartNs;

    public Oscillator(OscillatorSettings settings, ulong seed, long originTrueNs)
    {
        if (!double.IsFinite(settings.OffsetPpm) || !double.IsFinite(settings.WanderPpmPerSqrtS) || settings.WanderPpmPerSqrtS < 0
            || !double.IsFinite(settings.PeriodicAmplitudePpm) || !(settings.PeriodicPeriodS > 0))
            throw new ArgumentException("oscillator: offset/amplitude must be finite, wander >= 0, period > 0", nameof(settings));
        _settings = settings;
        _originNs = originTrueNs;
        _random = SimRandom.Derive(seed, 0x05C1);
        _wanderPerStepPpm = settings.WanderPpmPerSqrtS * Math.Sqrt(WanderStepNs / 1e9);
        _angularPerNs = 2 * Math.PI / (settings.PeriodicPeriodS * 1e9);
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
        var ppm = _settings.OffsetPpm + _walkFreqPpm + _settings.PeriodicAmplitudePpm * Math.Sin(_angularPerNs * tau);
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
        if (_settings.PeriodicAmplitudePpm != 0)
            phase += _settings.PeriodicAmplitudePpm * PpmToFraction * (1 - Math.Cos(_angularPerNs * tau)) / _angularPerNs;
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
