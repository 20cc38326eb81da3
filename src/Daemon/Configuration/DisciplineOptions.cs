using Sync.Filters.Engine;
namespace Sync.Daemon.Configuration;

/// <summary>How `sync` steers the system clock (section "discipline").</summary>
public sealed record DisciplineOptions
{
    /// <summary>chrony's common `makestep 1.0 3`: step when off by more than 1 s, in the first 3 updates only.</summary>
    public const double DefaultMakestepThresholdSeconds = 0.00002;
    public const int DefaultMakestepLimit = 3;

    /// <summary>
    /// 500 ppm: the kernel's own freq limit (no tick games), what ntpd allows and what applications tolerate as a
    /// rate error (0.05 %); a VM's counter is within +-50 ppm, and larger errors (snapshot restore, migration)
    /// are stepped. 83333 gives chrony's maxslewrate; the hard limit is freq + tick = 100500 ppm.
    /// </summary>
    public const double DefaultMaxSlewRatePpm = 83_333;
    public const double MaxMaxSlewRatePpm = 100_500;

    public double MakestepThresholdSeconds { get; init; } = DefaultMakestepThresholdSeconds;

    /// <summary>Updates in which a step is allowed: -1 = always, 0 = never.</summary>
    public int MakestepLimit { get; init; } = DefaultMakestepLimit;
    public double MaxSlewRatePpm { get; init; } = DefaultMaxSlewRatePpm;
    public LeapPolicy LeapPolicy { get; init; } = LeapPolicy.Kernel;

    /// <summary>
    /// When another program is found steering the clock (its frequency, PLL or status bits differ from what we
    /// last wrote), stop steering until the kernel's state has stayed unchanged this long, then start over.
    /// 30 s: chronyd and ntpd write at least every 16 s (their shortest polls are 1-16 s), timesyncd at every poll.
    /// </summary>
    public const double DefaultForeignWriterQuietSeconds = 30;
    public const double MinForeignWriterQuietSeconds = 1;
    public const double MaxForeignWriterQuietSeconds = 86_400;
    public double ForeignWriterQuietSeconds { get; init; } = DefaultForeignWriterQuietSeconds;

    /// <summary>False: observe only (compute and report, never call clock_adjtime with modes != 0).</summary>
    public bool WriteEnabled { get; init; } = true;
}
