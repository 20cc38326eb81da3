namespace Sync.Filters.Discipline;

/// <summary>Why the discipline stepped the clock instead of slewing it.</summary>
public enum StepReason
{
    /// <summary>An offset above the step threshold in the first updates (chrony's makestep).</summary>
    Startup,

    /// <summary>The estimator found a run of samples off its prediction (a step or frequency jump, confirmed over a
    /// few updates), and the offset left is above the recovery threshold.</summary>
    Discontinuity,

    /// <summary>One sample was off the prediction by more than any noise can explain (its delay, its error and the
    /// estimate's bound together, plus the jump threshold): the clock jumped (the VM was paused, restored or
    /// migrated). Stepped at that sample.</summary>
    Jump,
}

/// <summary>The spelling of each <see cref="StepReason"/> in logs, metric labels and status: one table.</summary>
public static class StepReasons
{
    public static readonly IReadOnlyList<(string Name, StepReason Value)> Names =
        [("startup", StepReason.Startup), ("discontinuity", StepReason.Discontinuity), ("jump", StepReason.Jump)];

    public static string Name(StepReason reason)
    {
        foreach (var (name, value) in Names)
            if (value == reason) return name;
        return reason.ToString();
    }
}
