using Sync.Filters.Engine;
using static Sync.Daemon.Configuration.ConfigKeyFactory;

namespace Sync.Daemon.Configuration;

/// <summary>The discipline section of the key table (<see cref="ConfigKeys"/>): how the clock is steered.</summary>
public static partial class ConfigKeys
{
    public static class Discipline
    {
        /// <summary>20 us, like phc2sys's first step (chrony's common `makestep 1.0 3` steps above 1 s).</summary>
        public static readonly ConfigKey<double> MakestepThresholdSeconds = Number("discipline:makestepThresholdSeconds", 0.00002, 0.000001, 1e9, "s",
            "step above this offset (20 us, like phc2sys's first step; chrony's makestep is 1.0) ...", "0.1",
            o => o.Discipline.MakestepThresholdSeconds, (o, v) => o with { Discipline = o.Discipline with { MakestepThresholdSeconds = v } });

        public static readonly ConfigKey<int> MakestepLimit = Integer("discipline:makestepLimit", 3, -1, 1_000_000, "updates",
            "... in the first N updates (-1 always; 0 never, not even after a pause/restore: slewed)", "-1",
            o => o.Discipline.MakestepLimit, (o, v) => o with { Discipline = o.Discipline with { MakestepLimit = v } });

        /// <summary>
        /// 83333 ppm, chrony's maxslewrate. 500 ppm is the kernel's own freq limit (no tick games), what ntpd allows;
        /// the hard limit is freq + tick = 100500 ppm. Larger errors (snapshot restore, migration) are stepped.
        /// </summary>
        public static readonly ConfigKey<double> MaxSlewRatePpm = Number("discipline:maxSlewRatePpm", 83_333, 1, 100_500, "ppm",
            "largest slew (83333 = chrony's maxslewrate; 500 = kernel freq limit alone)", "500",
            o => o.Discipline.MaxSlewRatePpm, (o, v) => o with { Discipline = o.Discipline with { MaxSlewRatePpm = v } });

        public static readonly ConfigKey<LeapPolicy> LeapPolicy = Choice("discipline:leapPolicy", ConfigNames.LeapPolicies, Filters.Engine.LeapPolicy.Kernel,
            "leap-second handling: kernel = the kernel inserts or deletes the second (a smeared noon/sls reference is unsmeared to UTC first); slew = no kernel flag, the 1 s offset is slewed; follow-smear = a smeared reference is followed as it is", "slew",
            o => o.Discipline.LeapPolicy, (o, v) => o with { Discipline = o.Discipline with { LeapPolicy = v } });

        public static readonly ConfigKey<bool> WriteEnabled = Boolean("discipline:writeEnabled", true, "false = observe only",
            o => o.Discipline.WriteEnabled, (o, v) => o with { Discipline = o.Discipline with { WriteEnabled = v } });

        /// <summary>
        /// When another program is found steering the clock (its frequency, PLL or status bits differ from what we last
        /// wrote), stop steering until the kernel's state has stayed unchanged this long, then start over. 30 s: chronyd
        /// and ntpd write at least every 16 s at their default polls, timesyncd at every poll (32 s and up: it is
        /// seen again at its next write).
        /// </summary>
        public static readonly ConfigKey<double> ForeignWriterQuietSeconds = Number("discipline:foreignWriterQuietSeconds", 30, 1, 86_400, "s",
            "another program steering the clock: stop steering until the kernel's clock state has been unchanged this long, then start over", "12.5",
            o => o.Discipline.ForeignWriterQuietSeconds, (o, v) => o with { Discipline = o.Discipline with { ForeignWriterQuietSeconds = v } });
    }
}
