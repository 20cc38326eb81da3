namespace Sync.Daemon.Simulation;

/// <summary>
/// Computes a run's figures from its trace by the definitions of <see cref="FigureRules"/> (the same for
/// `simulate`'s report.json and the benchmark): steady figures (mean, standard deviation, RMS, max, coverage,
/// median bound) over the samples after the warm-up and outside every event window; bound coverage inside the
/// windows separately; convergence and each event's recovery as "back within X and staying within X for the hold
/// time".
/// </summary>
public static class ReportCalculator
{
    private const string DeviceRemoved = "device_removed";
    private const string DeviceReturned = "device_returned";

    public static SimulationReport Compute(
        string scenario, long seed, double durationS, IReadOnlyList<TracePoint> trace,
        IReadOnlyList<(double TimeS, string Kind)> events, long steps, long discontinuities,
        double readIntervalS = 1, FigureRules? rules = null)
    {
        rules ??= FigureRules.Default;
        var warmUpS = rules.WarmUpS(readIntervalS, durationS);
        var windowS = rules.EventWindowS(readIntervalS);
        var windows = ExcludedWindows(events, windowS);

        double sum = 0, sumSq = 0, max = 0;
        long steady = 0, steadyBounded = 0, steadyCovered = 0, eventBounded = 0, eventCovered = 0, steadyDiscontinuities = 0;
        var bounds = new List<double>();
        foreach (var p in trace)
        {
            if (p.TimeS < warmUpS) continue;
            var err = (double)p.ErrorNs;
            var abs = Math.Abs(err);
            var covered = p.BoundNs >= 0 && abs <= p.BoundNs;
            if (windows.Any(w => p.TimeS >= w.From && p.TimeS < w.Until))
            {
                if (p.BoundNs < 0) continue;
                eventBounded++;
                if (covered) eventCovered++;
                continue;
            }
            steady++;
            steadyDiscontinuities += p.Discontinuities;
            sum += err;
            sumSq += err * err;
            max = Math.Max(max, abs);
            if (p.BoundNs < 0) continue;
            steadyBounded++;
            if (covered) steadyCovered++;
            bounds.Add(p.BoundNs);
        }
        bounds.Sort();
        double? mean = steady == 0 ? null : sum / steady;
        double? rms = steady == 0 ? null : Math.Sqrt(sumSq / steady);
        double? std = steady == 0 ? null : Math.Sqrt(Math.Max(0, sumSq / steady - mean!.Value * mean.Value));
        double? medianBound = bounds.Count == 0 ? null : bounds[bounds.Count / 2];

        var firstEventIndex = events.Count > 0 ? IndexAt(trace, events.Min(e => e.TimeS)) : trace.Count;
        var converge = FirstIndexHolding(trace, 0, firstEventIndex, rules.RecoveryFloorNs, rules.RecoveryHoldS);

        var threshold = rules.RecoveryThresholdNs(rms);
        var eventResults = new List<ScheduledEventResult>();
        foreach (var (t, kind) in events)
        {
            if (kind == DeviceReturned) continue; // judged with its removal
            // An outage is judged from the device's return; other events from the instant they happen.
            var origin = t;
            if (kind == DeviceRemoved && events.Where(e => e.Kind == DeviceReturned && e.TimeS >= t).Select(e => e.TimeS).DefaultIfEmpty(double.NaN).Min() is var back && !double.IsNaN(back))
                origin = back;
            var nextS = events.Where(e => e.TimeS > origin).Select(e => e.TimeS).DefaultIfEmpty(double.PositiveInfinity).Min();
            var from = IndexAt(trace, origin);
            var end = double.IsPositiveInfinity(nextS) ? trace.Count : IndexAt(trace, nextS);
            var recovered = FirstIndexHolding(trace, from, end, threshold, rules.RecoveryHoldS);
            var worst = 0.0;
            for (var i = IndexAt(trace, t); i < end; i++) worst = Math.Max(worst, Math.Abs((double)trace[i].ErrorNs));
            eventResults.Add(new ScheduledEventResult(t, kind, recovered is { } r ? Math.Max(0, trace[r].TimeS - origin) : null, threshold, worst));
        }

        return new SimulationReport
        {
            Scenario = scenario,
            Seed = seed,
            DurationS = durationS,
            RmsOffsetNs = rms,
            MaxAbsOffsetNs = steady == 0 ? null : max,
            MeanOffsetNs = mean,
            StdOffsetNs = std,
            ConvergeS = converge is { } c ? trace[c].TimeS : null,
            Steps = steps,
            BoundCoverage = steadyBounded == 0 ? null : (double)steadyCovered / steadyBounded,
            EventBoundCoverage = eventBounded == 0 ? null : (double)eventCovered / eventBounded,
            BoundedSamples = steadyBounded + eventBounded,
            UncoveredSamples = steadyBounded - steadyCovered + eventBounded - eventCovered,
            SteadySamples = steady,
            MedianBoundNs = medianBound,
            MedianBoundOverRms = medianBound is { } b && rms is { } q && q > 0 ? b / q : null,
            Discontinuities = discontinuities,
            DiscontinuitiesOutsideEvents = steadyDiscontinuities,
            Events = eventResults,
            WarmUpS = warmUpS,
            EventWindowS = windowS,
        };
    }

    /// <summary>[from, until) spans left out of the steady figures: windowS after each event; an outage from its start to windowS after its end.</summary>
    public static IReadOnlyList<(double From, double Until)> ExcludedWindows(IReadOnlyList<(double TimeS, string Kind)> events, double windowS)
    {
        var windows = new List<(double, double)>();
        foreach (var (t, kind) in events)
        {
            var until = t + windowS;
            if (kind == DeviceRemoved)
            {
                var back = events.Where(e => e.Kind == DeviceReturned && e.TimeS >= t).Select(e => e.TimeS).DefaultIfEmpty(double.PositiveInfinity).Min();
                until = back + windowS;
            }
            windows.Add((t, until));
        }
        return windows;
    }

    /// <summary>
    /// The first index i in [from, end) with |error| within thresholdNs from trace[i] on for holdS seconds (or up to
    /// end, when that comes first), or null.
    /// </summary>
    public static int? FirstIndexHolding(IReadOnlyList<TracePoint> trace, int from, int end, double thresholdNs, double holdS)
    {
        // Scan backwards, remembering the time of the first point out of the threshold after each index.
        int? first = null;
        var nextOutS = double.PositiveInfinity;
        for (var i = end - 1; i >= from; i--)
        {
            if (Math.Abs((double)trace[i].ErrorNs) > thresholdNs)
            {
                nextOutS = trace[i].TimeS;
                continue;
            }
            if (double.IsPositiveInfinity(nextOutS) || nextOutS - trace[i].TimeS >= holdS)
                first = i;
        }
        return first;
    }

    private static int IndexAt(IReadOnlyList<TracePoint> trace, double timeS)
    {
        int lo = 0, hi = trace.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (trace[mid].TimeS < timeS) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
