using Sync.Filters.Time;

namespace Sync.Filters.Estimation;

/// <summary>
/// Two-sided CUSUM on the normalised innovations z = (sample - prediction) / predicted sd: evidence that the
/// samples keep falling on one side of the prediction, i.e. that the model's frequency is wrong (the reference's
/// rate changed) even though each sample alone is within the outlier gate. g+ = max(0, g+ + z - k),
/// g- = max(0, g- - z - k); an alarm when either exceeds h. With k = 1, h = 5 and Gaussian noise a false alarm
/// comes about once in 38000 samples; a drift of 0.3 sigma per sample is found in about 9.
/// The samples since the alarming side last was zero are kept so the caller can fit the drift.
/// </summary>
public sealed class DriftCusum
{
    /// <summary>Innovations are capped at this many sigmas: one wild sample must not raise an alarm alone.</summary>
    private const double CapSigmas = 5.0;

    private readonly double _slackSigmas;
    private readonly double _thresholdSigmas;
    private readonly List<(Instant<Utc> At, double InnovationNs, double SdNs)> _up = [];
    private readonly List<(Instant<Utc> At, double InnovationNs, double SdNs)> _down = [];
    private double _gUp, _gDown;

    public DriftCusum(double slackSigmas, double thresholdSigmas)
    {
        _slackSigmas = slackSigmas;
        _thresholdSigmas = thresholdSigmas;
    }

    /// <summary>The larger of the two sums, in sigmas.</summary>
    public double Evidence => Math.Max(_gUp, _gDown);

    /// <summary>No evidence of a drift is building (both sums below the slack).</summary>
    public bool Quiet => Evidence < _slackSigmas;

    /// <summary>Adds one innovation; true when a sum is past the threshold (see <see cref="AlarmRun"/>).</summary>
    public bool Observe(Instant<Utc> at, double innovationNs, double sdNs)
    {
        if (!double.IsFinite(innovationNs) || !(sdNs > 0) || !double.IsFinite(sdNs)) return Alarm;
        double z = Math.Clamp(innovationNs / sdNs, -CapSigmas, CapSigmas);
        _gUp = Track(_gUp, z - _slackSigmas, _up, (at, innovationNs, sdNs));
        _gDown = Track(_gDown, -z - _slackSigmas, _down, (at, innovationNs, sdNs));
        return Alarm;
    }

    /// <summary>A sum is past the threshold.</summary>
    public bool Alarm => _gUp > _thresholdSigmas || _gDown > _thresholdSigmas;

    /// <summary>The samples of the alarming side's run, oldest first (empty without an alarm).</summary>
    public IReadOnlyList<(Instant<Utc> At, double InnovationNs, double SdNs)> AlarmRun =>
        !Alarm ? [] : _gUp > _gDown ? _up : _down;

    public void Reset()
    {
        _gUp = _gDown = 0;
        _up.Clear();
        _down.Clear();
    }

    private static double Track(double g, double increment, List<(Instant<Utc>, double, double)> run, (Instant<Utc>, double, double) sample)
    {
        g = Math.Max(0, g + increment);
        if (g == 0) run.Clear();
        else run.Add(sample);
        return g;
    }
}
