using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Engine;

/// <summary>
/// A minimal guest clock for engine tests: true time advances in steps, the local clock runs with a fixed
/// frequency error plus whatever correction the engine commands, and readings carry seeded noise.
/// </summary>
internal sealed class ToyGuestClock(double frequencyErrorPpm, long initialOffsetNs, int seed, long delayNs = 2_000, long jitterNs = 100)
{
    private readonly Random _random = new(seed);
    // Whole nanoseconds plus a fraction: a double alone resolves only 256 ns at 1.8e18 ns.
    private long _localWholeNs = Instant<Utc>.FromSeconds(1_800_000_000).Nanoseconds + initialOffsetNs;
    private double _localFractionNs;
    private long _trueNs = Instant<Utc>.FromSeconds(1_800_000_000).Nanoseconds;
    private double _correctionPpm;

    public long TrueOffsetNs => LocalNs - _trueNs;
    public Instant<Utc> LocalNow => new(LocalNs);

    private long LocalNs => _localWholeNs + (long)Math.Round(_localFractionNs);

    private void AddLocal(double ns)
    {
        _localFractionNs += ns;
        var whole = Math.Floor(_localFractionNs);
        _localWholeNs += (long)whole;
        _localFractionNs -= whole;
    }
    public long TaiMinusUtcSeconds { get; set; } = 37;

    public void Advance(long ns)
    {
        _trueNs += ns;
        _localWholeNs += ns;
        AddLocal(ns * (frequencyErrorPpm + _correctionPpm) * 1e-6);
    }

    /// <summary>The VM is paused (as under TCG): true time goes on, the guest's clock stands still.</summary>
    public void Pause(long ns) => _trueNs += ns;

    public void Apply(ClockCommand command)
    {
        if (command.FrequencyPpm is { } ppm) _correctionPpm = ppm;
        if (command.Step is { } step) _localWholeNs += step.Nanoseconds;
    }

    /// <summary>A reading of samples triples; windowNs replaces the clock's delay and jitter, readPoint is where in
    /// each window the device is read (0.5 = the midpoint, 0 = at sys_before).</summary>
    public PhcReading Read(int samples, ClockScale scale, long? windowNs = null, double readPoint = 0.5)
    {
        var triples = new SampleTriple[samples];
        for (var i = 0; i < samples; i++)
        {
            var delay = windowNs ?? delayNs + (long)(_random.NextDouble() * jitterNs);
            var before = LocalNs;
            var toReadPoint = (long)Math.Floor(delay * readPoint);
            Advance(toReadPoint);
            var phc = _trueNs + (scale.Scale == TimeScale.Tai ? TaiMinusUtcSeconds * Duration.NanosecondsPerSecond : 0);
            Advance(delay - toReadPoint);
            triples[i] = new SampleTriple(before, phc, LocalNs);
        }
        return new PhcReading(ReadingMethod.Extended, scale, triples);
    }
}
