using Sync.Clock.Simulation;
using Sync.Filters.Discipline;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Daemon.Simulation;

/// <summary>
/// A stand-in for chronyd in the simulator: fed the chrony agent's samples (one per reading, as over the SOCK
/// refclock), it steers the simulated guest clock itself, the way chronyd would: every poll it keeps the 60 % of the
/// poll's samples nearest their median (chrony's refclock filter) and fits a line to them (offset and frequency
/// error, like chrony's regression), sets the frequency that cancels the
/// measured rate error, slews the offset away over <see cref="CorrectionPolls"/> polls (at most
/// <see cref="MaxSlewPpm"/>, chronyd's maxslewrate) and steps like `makestep 1 3`. The leap flag of the samples
/// goes into the kernel status (chronyd's leapsecmode system). Deliberately simple: it proves the agent's samples
/// are true, not that this servo is good.
/// </summary>
public sealed class ExternalServo(SimulatedSystemClock clock, Duration poll)
{
    public const double MaxSlewPpm = 83_333;
    public const int CorrectionPolls = 4;
    private static readonly StepPolicy Makestep = StepPolicy.ChronyDefault;

    private readonly List<(long T, long OffsetNs)> _window = [];
    private double _basePpm = clock.ReadState().Value.FrequencyPpm;
    private long _updates;

    public long Steps { get; private set; }
    public long Updates => _updates;
    public ClockStatus Leap { get; set; }

    /// <summary>One sample as chronyd receives it: at local time t, local - reference = offset.</summary>
    public void OnSample(OffsetSample sample)
    {
        _window.Add((sample.LocalTime.Nanoseconds, sample.Offset.Nanoseconds));
        if (sample.LocalTime.Nanoseconds - _window[0].T < poll.Nanoseconds * 9 / 10 || _window.Count < 2)
            return;
        Update();
        _window.Clear();
    }

    private void Update()
    {
        _updates++;
        var t0 = _window[0].T;
        if (_window.Count >= 5)
        {
            var median = _window.Select(w => w.OffsetNs).Order().ElementAt(_window.Count / 2);
            var keep = Math.Max(2, (int)Math.Ceiling(_window.Count * 0.6));
            var kept = _window.OrderBy(w => Math.Abs(w.OffsetNs - median)).Take(keep).OrderBy(w => w.T).ToList();
            _window.Clear();
            _window.AddRange(kept);
        }
        double n = _window.Count, sx = 0, sy = 0, sxx = 0, sxy = 0;
        foreach (var (t, y) in _window)
        {
            double x = (t - t0) / 1e9;
            sx += x; sy += y; sxx += x * x; sxy += x * y;
        }
        var denominator = n * sxx - sx * sx;
        var slopeNsPerS = denominator > 0 ? (n * sxy - sx * sy) / denominator : 0;
        var xEnd = (_window.Max(w => w.T) - t0) / 1e9;
        var offsetNs = (sy - slopeNsPerS * sx) / n + slopeNsPerS * xEnd;

        // The clock ran at (current correction) with rate error slope: cancel it (a fast clock is slowed).
        var currentPpm = clock.ReadState().Value.FrequencyPpm;
        _basePpm = currentPpm - slopeNsPerS / 1e3;
        var command = new ClockCommand { Status = Leap };
        if (Makestep.AllowsStep(Duration.FromNanoseconds((long)offsetNs), _updates))
        {
            command = command with { Step = Duration.FromNanoseconds(-(long)offsetNs) };
            offsetNs = 0;
            Steps++;
        }
        var slewPpm = Math.Clamp(-offsetNs / (CorrectionPolls * poll.Nanoseconds) * 1e6, -MaxSlewPpm, MaxSlewPpm);
        var ppm = Math.Clamp(_basePpm + slewPpm, -ClockCommand.MaxFrequencyPpm, ClockCommand.MaxFrequencyPpm);
        clock.Apply(command with { FrequencyPpm = ppm });
    }
}
