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
    private double _localNs = Instant<Utc>.FromSeconds(1_800_000_000).Nanoseconds + initialOffsetNs;
    private long _trueNs = Instant<Utc>.FromSeconds(1_800_000_000).Nanoseconds;
    private double _correctionPpm;

    public long TrueOffsetNs => (long)Math.Round(_localNs) - _trueNs;
    public Instant<Utc> LocalNow => new((long)Math.Round(_localNs));
    public long TaiMinusUtcSeconds { get; set; } = 37;

    public void Advance(long ns)
    {
        _trueNs += ns;
        _localNs += ns * (1 + (frequencyErrorPpm + _correctionPpm) * 1e-6);
    }

    public void Apply(ClockCommand command)
    {
        if (command.FrequencyPpm is { } ppm) _correctionPpm = ppm;
        if (command.Step is { } step) _localNs += step.Nanoseconds;
    }

    public PhcReading Read(int samples, ClockScale scale)
    {
        var triples = new SampleTriple[samples];
        for (var i = 0; i < samples; i++)
        {
            var delay = delayNs + (long)(_random.NextDouble() * jitterNs);
            var before = (long)Math.Round(_localNs);
            Advance(delay / 2);
            var phc = _trueNs + (scale.Scale == TimeScale.Tai ? TaiMinusUtcSeconds * Duration.NanosecondsPerSecond : 0);
            Advance(delay - delay / 2);
            triples[i] = new SampleTriple(before, phc, (long)Math.Round(_localNs));
        }
        return new PhcReading(ReadingMethod.Extended, scale, triples);
    }
}
