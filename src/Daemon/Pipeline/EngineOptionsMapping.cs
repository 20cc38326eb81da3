using Sync.Daemon.Configuration;
using Sync.Filters.Discipline;
using Sync.Filters.Engine;
using Sync.Filters.Samples;
using Sync.Filters.Selection;
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
            Reduction = options.Sources.Filter switch
            {
                SampleFilterKind.Fastest => ReductionRule.Fastest,
                SampleFilterKind.DelayCorrected => ReductionRule.DelayCorrected,
                _ => ReductionRule.DelayBand,
            },
            Estimator = options.Sources.Estimator,
            ReadInterval = Duration.FromSeconds(options.Sources.ReadIntervalSeconds),
            Leap = options.Discipline.LeapPolicy,
            Control = options.MaySteerClock ? ClockControl.Steer : ClockControl.Observe,
            Calibrations = CalibrationsByPath(options.Sources.Calibration),
            StalledWindowRatio = options.Sources.StalledWindowRatio,
            StalledRunLimit = options.Sources.StalledRunLimit,
            Kalman = defaults.Kalman with { HoldoverDriftPpbPerS = options.Sources.HoldoverDriftPpbPerS },
            Discipline = defaults.Discipline with
            {
                // makestepLimit 0 is "never": not at start-up and not after a jump or discontinuity either (a paused,
                // restored or migrated VM is then slewed back at maxSlewRatePpm, reported unsynchronized meanwhile).
                Steps = new StepPolicy(Duration.FromSeconds(options.Discipline.MakestepThresholdSeconds), options.Discipline.MakestepLimit)
                {
                    AfterDiscontinuity = options.Discipline.MakestepLimit != 0,
                },
                MaxSlewPpm = options.Discipline.MaxSlewRatePpm,
            },
        };
    }

    /// <summary>
    /// sources:calibration by the engine's source id (the clock's device path): each entry under the path given and,
    /// for a udev symlink such as /dev/ptp_virtio_utc, under the device it points to.
    /// </summary>
    public static IReadOnlyDictionary<string, SourceCalibration> CalibrationsByPath(IReadOnlyList<ClockCalibration> entries)
    {
        var result = new Dictionary<string, SourceCalibration>();
        foreach (var entry in entries)
        {
            result[entry.Path] = entry.Calibration;
            try
            {
                if (new FileInfo(entry.Path).ResolveLinkTarget(returnFinalTarget: true) is { } target)
                    result[target.FullName] = entry.Calibration;
            }
            catch (IOException)
            {
                // A path that cannot be resolved is matched as given.
            }
        }
        return result;
    }
}
