using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Engine;

/// <summary>
/// A guest clock against a served (reference) clock that steps and changes rate, read over a slow, noisy path
/// like the VM lab's vhost-user device: round trip 60 us plus lognormal jitter (mean jitterMeanNs, heavy tail),
/// the device read anywhere from 0 % to 60 % into the round trip (slow samples look late).
/// </summary>
internal sealed class ServedFaultClock(int seed, double guestFrequencyErrorPpm = 3, long jitterMeanNs = 100_000)
{
    private const long BaseDelayNs = 60_000;
    private readonly Random _random = new(seed);
    private long _localWholeNs = Instant<Utc>.FromSeconds(1_800_000_000).Nanoseconds;
    private double _localFractionNs;
    private long _trueNs = Instant<Utc>.FromSeconds(1_800_000_000).Nanoseconds;
    private readonly long _startNs = Instant<Utc>.FromSeconds(1_800_000_000).Nanoseconds;
    private double _correctionPpm;
    private long _servedStepNs;
    private double _servedRatePpm;
    private long _servedRateFromNs;

    public long Steps { get; private set; }
    public double ElapsedS => (_trueNs - _startNs) / 1e9;

    /// <summary>The served clock minus true time.</summary>
    private long ServedDeviationNs => _servedStepNs + (long)Math.Round(_servedRatePpm * 1e-6 * (_trueNs - _servedRateFromNs));

    /// <summary>Guest minus served clock: what following means.</summary>
    public long ErrorNs => LocalNs - _trueNs - ServedDeviationNs;

    private long LocalNs => _localWholeNs + (long)Math.Round(_localFractionNs);

    public void StepServed(long stepNs) => _servedStepNs += stepNs;

    public void ChangeServedRate(double ratePpm)
    {
        _servedStepNs = ServedDeviationNs;
        _servedRatePpm = ratePpm;
        _servedRateFromNs = _trueNs;
    }

    public void Advance(long ns)
    {
        _trueNs += ns;
        _localWholeNs += ns;
        AddLocal(ns * (guestFrequencyErrorPpm + _correctionPpm) * 1e-6);
    }

    public void Apply(ClockCommand command)
    {
        if (command.FrequencyPpm is { } ppm) _correctionPpm = ppm;
        if (command.Step is { } step)
        {
            _localWholeNs += step.Nanoseconds;
            Steps++;
        }
    }

    public PhcReading Read(int samples)
    {
        var triples = new SampleTriple[samples];
        for (var i = 0; i < samples; i++)
        {
            // Lognormal (sigma 1) jitter with the given mean: exp(mu + 1/2) = mean.
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
            var delay = BaseDelayNs + (long)(jitterMeanNs * Math.Exp(gaussian - 0.5));
            var readAt = (long)(delay * (0.2 + 0.4 * (2 * _random.NextDouble() - 1)));
            readAt = Math.Clamp(readAt, 0, delay);
            var before = LocalNs;
            Advance(readAt);
            var phc = _trueNs + ServedDeviationNs;
            Advance(delay - readAt);
            triples[i] = new SampleTriple(before, phc, LocalNs);
        }
        return new PhcReading(ReadingMethod.Extended, ClockScale.Utc, triples);
    }

    private void AddLocal(double ns)
    {
        _localFractionNs += ns;
        var whole = Math.Floor(_localFractionNs);
        _localWholeNs += (long)whole;
        _localFractionNs -= whole;
    }
}
