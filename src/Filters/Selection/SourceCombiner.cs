using Sync.Filters.Time;

namespace Sync.Filters.Selection;

/// <summary>The combiner's answer: the source to follow (null: none), each source's verdict, whether a majority agreed.</summary>
public sealed record CombineResult(string? Selected, IReadOnlyDictionary<string, SourceVerdict> Verdicts, bool Majority);

/// <summary>
/// Combines sources by their bounds, like chrony's source selection (Marzullo's intersection): the largest set
/// of sources whose intervals share a point are the truechimers; the others are falsetickers, reported and left
/// out. When no set is a strict majority (two sources that disagree), the set holding the current source is kept,
/// else the one holding the narrowest interval, and <see cref="CombineResult.Majority"/> is false. Of the
/// truechimers the current source stays selected unless another is <see cref="SwitchRatio"/> times narrower
/// (switching paths moves the estimate by their calibration error); otherwise the narrowest interval is
/// selected, ties broken by preference. Pure.
/// </summary>
public static class SourceCombiner
{
    /// <summary>The current source is kept unless another agreeing one is this many times narrower.</summary>
    public const long SwitchRatio = 2;

    public static CombineResult Combine(IReadOnlyList<SourceInterval> intervals, string? current)
    {
        var verdicts = new Dictionary<string, SourceVerdict>();
        if (intervals.Count == 0)
            return new CombineResult(null, verdicts, false);

        // Every maximal clique of intervals shares a left end point: try each one.
        var best = new List<SourceInterval>();
        foreach (var candidate in intervals)
        {
            var point = candidate.Low;
            var members = intervals.Where(i => i.Low <= point && point <= i.High).ToList();
            if (Better(members, best, current))
                best = members;
        }

        var majority = best.Count * 2 > intervals.Count;
        var narrowest = best.OrderBy(i => i.HalfWidth).ThenBy(i => i.Preference).First();
        var stay = best.Where(i => current is not null && i.Id == current).Cast<SourceInterval?>().FirstOrDefault();
        var chosen = stay is { } s && s.HalfWidth <= narrowest.HalfWidth * SwitchRatio ? s : narrowest;
        foreach (var interval in intervals)
        {
            verdicts[interval.Id] = interval.Id == chosen.Id ? SourceVerdict.Selected
                : best.Any(b => b.Id == interval.Id) ? SourceVerdict.Truechimer
                : SourceVerdict.Falseticker;
        }
        return new CombineResult(chosen.Id, verdicts, majority);
    }

    private static bool Better(List<SourceInterval> members, List<SourceInterval> best, string? current)
    {
        if (members.Count != best.Count)
            return members.Count > best.Count;
        var holdsCurrent = current is not null && members.Any(m => m.Id == current);
        var bestHoldsCurrent = current is not null && best.Any(m => m.Id == current);
        if (holdsCurrent != bestHoldsCurrent)
            return holdsCurrent;
        return Narrowest(members) < Narrowest(best);
    }

    private static Duration Narrowest(List<SourceInterval> set) =>
        set.Count == 0 ? Duration.FromSeconds(1_000_000) : set.Min(i => i.HalfWidth);
}
