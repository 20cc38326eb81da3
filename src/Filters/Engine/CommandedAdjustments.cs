using Sync.Filters.Estimation;
using Sync.Filters.Time;

namespace Sync.Filters.Engine;

/// <summary>
/// The engine's own adjustments of the clock, as the estimator must know them: told when commanded (dated just after
/// the step's readings, <see cref="Commanded"/>), moved to when the command was really applied (<see cref="Applied"/>),
/// and the overlap a backward step leaves (<see cref="JumpDetector.StepOverlapEnd"/>). When observing nothing is
/// commanded: the adjustments someone else makes are read back from the kernel (<see cref="KernelReadBack"/>).
/// </summary>
internal sealed class CommandedAdjustments(IClockEstimator estimator, JumpDetector jumps)
{
    private LocalClockAdjustment? _unapplied;

    /// <summary>A command with this adjustment (null: none, or nothing is applied) is returned to be applied.</summary>
    public void Commanded(LocalClockAdjustment? adjustment)
    {
        _unapplied = adjustment;
        if (adjustment is not { } a)
            return;
        estimator.NotifyAdjustment(a);
        // After a backward step the local clock shows times it showed before (see JumpDetector.StepOverlapEnd).
        if (a.Step < Duration.Zero)
            jumps.StepOverlapEnd = a.At;
    }

    /// <summary>
    /// The command returned last was applied between local times before and after (the clock read around clock_adjtime).
    /// It was dated just after the step's readings, but the rate changes when it is applied, which can be much later (the
    /// rest of a cross-timestamp's read, the daemon's work): a 500 ppm slew applied 200 us late leaves 100 ns nothing knew
    /// of (random world 2-247). The rate change moves to the middle of the apply: announced again at its old date with the
    /// opposite sign and at the new one (the ledger is linear). A step is exact whenever applied; a backward step's overlap
    /// ends later.
    /// </summary>
    public void Applied(Instant<Utc> before, Instant<Utc> after)
    {
        if (_unapplied is not { } a)
            return;
        _unapplied = null;
        // before and after bracket the apply on the clock as it ran before the command and after it: take the step out.
        var span = Duration.Max(Duration.Zero, after - before - a.Step);
        var effective = before + span / 2;
        if (a.FrequencyChangePpm != 0 && effective > a.At)
        {
            estimator.NotifyAdjustment(new LocalClockAdjustment(a.At, -a.FrequencyChangePpm, Duration.Zero));
            estimator.NotifyAdjustment(new LocalClockAdjustment(effective, a.FrequencyChangePpm, Duration.Zero));
        }
        if (a.Step < Duration.Zero && before + span > a.At)
            jumps.StepOverlapEnd = before + span;
    }
}
