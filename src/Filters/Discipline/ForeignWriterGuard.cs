using System.Globalization;
using Sync.Filters.Time;

namespace Sync.Filters.Discipline;

/// <summary>What the guard concluded from one look at the kernel's clock state.</summary>
public readonly record struct ForeignWriterVerdict(bool Steering, bool Detected, bool Resumed, string? Change);

/// <summary>
/// Notices another program steering the system clock (chronyd, ntpd, systemd-timesyncd, a script calling adjtimex) by
/// comparing the kernel's clock state with what this daemon last wrote: the frequency (freq and tick), the kernel
/// PLL's offset and mode bits (STA_PLL, STA_FLL, STA_PPS*: never set by us), the unit bit STA_NANO (we always write
/// ADJ_NANO; chronyd's first write is ADJ_MICRO) and the leap/unsync bits we own. The
/// kernel itself changes none of these between writes, except that it consumes a PLL offset someone left (its
/// magnitude only shrinks) and may end a leap second (clears STA_INS/STA_DEL). Two daemons steering one clock fight
/// and neither wins, so on the first foreign change the daemon stops steering (<see cref="Steering"/> false) and
/// watches; once the state has stayed unchanged for <see cref="QuietPeriod"/> the other writer is taken to be gone
/// and steering resumes (the caller restarts the estimate: the clock was steered by someone else meanwhile). Pure:
/// the caller reads the kernel state and passes the time.
/// </summary>
public sealed class ForeignWriterGuard(Duration quietPeriod)
{
    /// <summary>Frequency differences below this are rounding of freq's 2^-16 ppm units, not a write.</summary>
    public const double FrequencyTolerancePpm = 1e-4;

    private KernelClockState? _baseline;
    private Instant<Utc> _lastChangeAt;

    public Duration QuietPeriod { get; } = quietPeriod;

    /// <summary>False from a foreign change until the clock has been left alone for QuietPeriod.</summary>
    public bool Steering { get; private set; } = true;

    /// <summary>Times another writer was detected (each start of yielding counts once).</summary>
    public long Detections { get; private set; }

    /// <summary>The change that started the current (or last) yielding, as text.</summary>
    public string? LastChange { get; private set; }

    /// <summary>Our own write took effect: this is now the state to expect.</summary>
    public void OnWritten(KernelClockState after)
    {
        if (Steering)
            _baseline = after;
    }

    /// <summary>The kernel's state as read now (clock_adjtime modes = 0), before this step's write.</summary>
    public ForeignWriterVerdict Observe(Instant<Utc> now, KernelClockState observed)
    {
        if (_baseline is not { } expected)
        {
            _baseline = observed;
            return new ForeignWriterVerdict(Steering, false, false, null);
        }
        var change = Describe(expected, observed);
        _baseline = observed;
        if (Steering)
        {
            if (change is null)
                return new ForeignWriterVerdict(true, false, false, null);
            Steering = false;
            Detections++;
            LastChange = change;
            _lastChangeAt = now;
            return new ForeignWriterVerdict(false, true, false, change);
        }
        if (change is not null)
        {
            _lastChangeAt = now;
            return new ForeignWriterVerdict(false, false, false, change);
        }
        if (now - _lastChangeAt < QuietPeriod)
            return new ForeignWriterVerdict(false, false, false, null);
        Steering = true;
        return new ForeignWriterVerdict(true, false, true, null);
    }

    /// <summary>What differs between the state we expect and the one observed, or null when nothing a writer sets does.</summary>
    public static string? Describe(KernelClockState expected, KernelClockState observed)
    {
        var inv = CultureInfo.InvariantCulture;
        var changes = new List<string>();
        if (Math.Abs(observed.FrequencyPpm - expected.FrequencyPpm) > FrequencyTolerancePpm)
            changes.Add(string.Create(inv, $"frequency {expected.FrequencyPpm:0.####} -> {observed.FrequencyPpm:0.####} ppm"));
        if (observed.NanosecondUnits != expected.NanosecondUnits)
            changes.Add(observed.NanosecondUnits ? "STA_NANO set (ADJ_NANO)" : "STA_NANO cleared (ADJ_MICRO)");
        if (observed.Status.HasFlag(ClockStatus.KernelDiscipline) && !expected.Status.HasFlag(ClockStatus.KernelDiscipline))
            changes.Add("kernel PLL/FLL/PPS mode set");
        // The kernel consumes a PLL offset (it only shrinks); a new or larger one was written.
        var before = expected.PllOffset.Abs();
        var after = observed.PllOffset.Abs();
        if (after > before || (after != Duration.Zero && Math.Sign(observed.PllOffset.Nanoseconds) != Math.Sign(expected.PllOffset.Nanoseconds)))
            changes.Add(string.Create(inv, $"PLL offset {expected.PllOffset.TotalMicroseconds:0.###} -> {observed.PllOffset.TotalMicroseconds:0.###} us"));
        // Leap flags: the kernel clears them after the leap, it never sets them; Unsynchronized it sets only at maxerror 16 s.
        var leap = ClockStatus.InsertLeap | ClockStatus.DeleteLeap;
        if ((observed.Status & leap & ~expected.Status) != ClockStatus.None)
            changes.Add($"leap bits set: {(observed.Status.HasFlag(ClockStatus.InsertLeap) ? "insert" : "delete")}");
        var unsyncCleared = expected.Status.HasFlag(ClockStatus.Unsynchronized) && !observed.Status.HasFlag(ClockStatus.Unsynchronized);
        var unsyncSet = !expected.Status.HasFlag(ClockStatus.Unsynchronized) && observed.Status.HasFlag(ClockStatus.Unsynchronized)
            && observed.MaxError < DisciplineController.UnsynchronizedMaxError;
        if (unsyncCleared || unsyncSet)
            changes.Add(unsyncCleared ? "unsynchronized flag cleared" : "unsynchronized flag set");
        return changes.Count == 0 ? null : string.Join(", ", changes);
    }
}
