namespace Sync.Daemon.Simulation;

/// <summary>
/// Computes a run's figures from its trace. Convergence is the first time |offset| < 1 us and staying so until
/// the first scheduled event; RMS, max and bound coverage count everything after it (events included);
/// each event's recovery is the time until |offset| < 1 us again and staying so until the next event.
/// </summary>
public static class ReportCalculator
{
    public const long ConvergedNs = 1_000;

    public static SimulationReport Compute(
        string scenario, long seed, double durationS, IReadOnlyList<TracePoint> trace,
        IReadOnlyList<(double TimeS, string Kind)> events, long steps, long discontinuities)
    {
        var quietEnd = events.Count > 0 ? IndexAt(trace, events[0].TimeS) : trace.Count;
        var convergeIndex = FirstIndexStayingConverged(trace, 0, quietEnd);
        double sumSq = 0, max = 0;
        long covered = 0, counted = 0, bounded = 0;
        var bounds = new List<double>();
        if (convergeIndex is { } start)
        {
            for (var i = start; i < trace.Count; i++)
            {
                var abs = Math.Abs((double)trace[i].TrueOffsetNs);
                sumSq += abs * abs;
                max = Math.Max(max, abs);
                counted++;
                if (trace[i].BoundNs < 0)
                    continue;
                bounded++;
                if (abs <= trace[i].BoundNs)
                    covered++;
                bounds.Add(trace[i].BoundNs);
            }
        }
        bounds.Sort();

        var eventResults = new List<ScheduledEventResult>();
        for (var e = 0; e < events.Count; e++)
        {
            var (t, kind) = events[e];
            var end = e + 1 < events.Count ? IndexAt(trace, events[e + 1].TimeS) : trace.Count;
            var from = IndexAt(trace, t);
            var recovered = FirstIndexStayingConverged(trace, from, end);
            eventResults.Add(new ScheduledEventResult(t, kind, recovered is { } r ? Math.Max(0, trace[r].TimeS - t) : null));
        }

        return new SimulationReport
        {
            Scenario = scenario,
            Seed = seed,
            DurationS = durationS,
            RmsOffsetNs = counted == 0 ? null : Math.Sqrt(sumSq / counted),
            MaxAbsOffsetNs = counted == 0 ? null : max,
            ConvergeS = convergeIndex is { } c ? trace[c].TimeS : null,
            Steps = steps,
            BoundCoverage = bounded == 0 ? null : (double)covered / bounded,
            MedianBoundNs = bounds.Count == 0 ? null : bounds[bounds.Count / 2],
            Discontinuities = discontinuities,
            Events = eventResults,
        };
    }

    /// <summary>The first index in [from, end) from which |offset| stays under 1 us up to end, or null.</summary>
    private static int? FirstIndexStayingConverged(IReadOnlyList<TracePoint> trace, int from, int end)
    {
        int? first = null;
        for (var i = end - 1; i >= from; i--)
        {
            if (Math.Abs(trace[i].TrueOffsetNs) >= ConvergedNs)
                break;
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
