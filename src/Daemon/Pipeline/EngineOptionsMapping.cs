using Sync.Daemon.Configuration;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Daemon.Pipeline;

/// <summary>From the configuration file's sections to the engine's options (the engine knows nothing of configuration).</summary>
public static class EngineOptionsMapping
{
    public static SyncEngineOptions ToEngineOptions(this VirtsyncOptions options)
    {
        var defaults = new SyncEngineOptions();
        return defaults with
        {
            Reduction = options.Sources.Filter == SampleFilterKind.Fastest ? ReductionRule.Fastest : ReductionRule.DelayBand,
            Estimator = options.Sources.Estimator,
            Leap = options.Discipline.LeapPolicy,
            Control = options.MaySteerClock ? ClockControl.Steer : ClockControl.Observe,
            Discipline = defaults.Discipline with
            {
                Steps = new StepPolicy(Duration.FromSeconds(options.Discipline.MakestepThresholdSeconds), options.Discipline.MakestepLimit),
                MaxSlewPpm = options.Discipline.MaxSlewRatePpm,
            },
        };
    }
}
