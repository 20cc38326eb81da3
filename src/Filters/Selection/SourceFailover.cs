namespace Sync.Filters.Selection;

/// <summary>
/// What one read of a reference clock gave, in the core's words (the edge maps its own errors to these):
/// Answered (a reading to use), Dropped (it answered, but the reading cannot be used, e.g. the clock was stepped
/// around it), Unavailable (the device is gone, does not offer the method, or does not answer: another clock can
/// stand in) or Failed (any other error: it is this clock's miss, and the step ends with it).
/// </summary>
public enum ReadOutcome { Answered, Dropped, Unavailable, Failed }

/// <summary>
/// Source selection and failover for one step, decided from what each read gave, with no clock, no thread and no
/// I/O: the loop asks <see cref="Next"/> which clock to read, reads it, and hands the <see cref="ReadOutcome"/> to
/// <see cref="After"/> until <see cref="Next"/> is null.
/// <list type="bullet">
/// <item>Failover (one clock used per step): clocks are tried in order of preference every step, starting with
/// the preferred one. The first that answers is used; an unavailable clock passes the step to the next one; a
/// clock that failed otherwise, or the last one, ends the step. So the step is back on the preferred clock as soon
/// as it reads again.</item>
/// <item>Read all (sources:combine with more than one clock): every clock is read; the first that answered is the
/// one selected (the engine combines the readings by their bounds).</item>
/// </list>
/// <see cref="Selected"/> is the clock the step ended on: the one used, else the last one tried (read all: the
/// first that answered, else the preferred).
/// </summary>
public readonly record struct SourceFailover
{
    private readonly int _count;

    private SourceFailover(int count, bool readsAll, int? next, int selected, bool answered)
    {
        _count = count;
        ReadsAll = readsAll;
        Next = next;
        Selected = selected;
        Answered = answered;
    }

    /// <summary>The step's first decision: read the preferred clock (none when there is no clock).</summary>
    /// <param name="sourceCount">The clocks, in order of preference.</param>
    /// <param name="combine">sources:combine: read every clock each step (with one clock it is the failover of one).</param>
    public static SourceFailover Start(int sourceCount, bool combine)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceCount);
        return new(sourceCount, combine && sourceCount > 1, sourceCount > 0 ? 0 : null, 0, false);
    }

    /// <summary>True when every clock is read this step (sources:combine).</summary>
    public bool ReadsAll { get; }

    /// <summary>The clock (index in order of preference) to read now; null when the step's reads are done.</summary>
    public int? Next { get; }

    /// <summary>The clock the step is on: see the type's summary.</summary>
    public int Selected { get; }

    /// <summary>True once a clock of this step answered.</summary>
    public bool Answered { get; }

    /// <summary>The decision after the read of <see cref="Next"/> gave <paramref name="outcome"/>.</summary>
    public SourceFailover After(ReadOutcome outcome)
    {
        if (Next is not { } read)
            throw new InvalidOperationException("the step's reads are done: no clock was to be read");
        var last = read == _count - 1;
        var answered = outcome is ReadOutcome.Answered or ReadOutcome.Dropped;
        if (ReadsAll)
            return new(_count, true, last ? null : read + 1, Answered || !answered ? Selected : read, Answered || answered);
        var goOn = outcome == ReadOutcome.Unavailable && !last;
        return new(_count, false, goOn ? read + 1 : null, read, answered);
    }
}
