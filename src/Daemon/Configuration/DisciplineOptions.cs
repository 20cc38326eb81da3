using Sync.Filters.Engine;
namespace Sync.Daemon.Configuration;

/// <summary>How `sync` steers the system clock (section "discipline").</summary>
public sealed record DisciplineOptions
{
    public double MakestepThresholdSeconds { get; init; } = ConfigKeys.Discipline.MakestepThresholdSeconds.Default;

    /// <summary>Updates in which a step is allowed: -1 = always, 0 = never.</summary>
    public int MakestepLimit { get; init; } = ConfigKeys.Discipline.MakestepLimit.Default;
    public double MaxSlewRatePpm { get; init; } = ConfigKeys.Discipline.MaxSlewRatePpm.Default;
    public LeapPolicy LeapPolicy { get; init; } = ConfigKeys.Discipline.LeapPolicy.Default;

    /// <summary>Another program steering the clock: stop steering until the kernel's state has stayed unchanged this long.</summary>
    public double ForeignWriterQuietSeconds { get; init; } = ConfigKeys.Discipline.ForeignWriterQuietSeconds.Default;

    /// <summary>False: observe only (compute and report, never call clock_adjtime with modes != 0).</summary>
    public bool WriteEnabled { get; init; } = ConfigKeys.Discipline.WriteEnabled.Default;
}
