using Microsoft.Extensions.Configuration;
using Sync.Clock.Linux;
using Sync.Filters.Engine;
using static Sync.Daemon.Configuration.ConfigKeyFactory;

namespace Sync.Daemon.Configuration;

/// <summary>The sources section of the key table (<see cref="ConfigKeys"/>): which clocks are read and how.</summary>
public static partial class ConfigKeys
{
    public static class Sources
    {
        public static readonly ListConfigKey<ClockSelector> Clocks = new("sources:clocks", [],
            "paths, ptpN, types (" + ConfigValues.Alternatives(ClockSelector.Keywords.Select(k => k.Name).ToArray()) + "), `{path|clockName|type}`",
            "which clocks to read, preferred first (the choice `virtsyncd clocks` reports)", "/dev/ptp_virtio_tai, tai",
            ClockSelectorItem, FormatSelector, o => o.Sources.Clocks, (o, v) => o with { Sources = o.Sources with { Clocks = v } },
            mayBeEmpty: true, itemFields: ["path", "clockName", "type"], defaultText: "[] (all virtio clocks)");

        public static readonly ConfigKey<double> ReadIntervalSeconds = Number("sources:readIntervalSeconds", 0.25, 0.01, 3600, "s",
            "time between readings; every reading updates the estimate and the clock, and the time constants follow it (docs/architecture.md)", "0.5",
            o => o.Sources.ReadIntervalSeconds, (o, v) => o with { Sources = o.Sources with { ReadIntervalSeconds = v } });

        /// <summary>
        /// A normal reading takes 1-3 ms, a virtio-rtc read blocks indefinitely while the host's vhost-user back end is
        /// dead; 2 s leaves a slow but live device alone and still lets the loop hold over / fail over within a few readings.
        /// </summary>
        public static readonly ConfigKey<int> ReadTimeoutMs = Integer("sources:readTimeoutMs", 2000, 10, 60_000, "ms",
            "longest wait for one reading; then the clock counts as not answering (see Resilience)", "750",
            o => o.Sources.ReadTimeoutMs, (o, v) => o with { Sources = o.Sources with { ReadTimeoutMs = v } });

        /// <summary>Retries are short: after ~2 ms and ~4 ms (exponential with jitter, at most 20 ms), inside one read interval.</summary>
        public static readonly ConfigKey<int> ReadRetries = Integer("sources:readRetries", 2, 0, 10, "retries",
            "retries of a reading that failed with a transient error (EBUSY, EINTR, EAGAIN, ETIMEDOUT), after ~2, ~4 ms ... (see Resilience)", "5",
            o => o.Sources.ReadRetries, (o, v) => o with { Sources = o.Sources with { ReadRetries = v } });

        public static readonly ConfigKey<double> CircuitBreakSeconds = Number("sources:circuitBreakSeconds", 5, 0.1, 3600, "s",
            "a clock whose readings all failed for 1 s (at least 4) is skipped this long, then probed (see Resilience)", "30",
            o => o.Sources.CircuitBreakSeconds, (o, v) => o with { Sources = o.Sources with { CircuitBreakSeconds = v } });

        public static readonly ConfigKey<double> ReattachIntervalSeconds = Number("sources:reattachIntervalSeconds", 1, 0.1, 3600, "s",
            "while a clock's device is gone (ENODEV), how often it is looked for again by name or symlink (see Resilience)", "10",
            o => o.Sources.ReattachIntervalSeconds, (o, v) => o with { Sources = o.Sources with { ReattachIntervalSeconds = v } });

        /// <summary>
        /// 9 samples per reading: at 4 readings/s that is 36 samples/s per clock (more than chrony's 25/s at dpoll 0)
        /// while one reading stays short (9 device round trips, ~1-3 ms under TCG), so the host device is not
        /// loaded and frequency wander within one reading is negligible. 25 (the kernel maximum) is allowed.
        /// </summary>
        public static readonly ConfigKey<int> SamplesPerReading = Integer("sources:samplesPerReading", 9, 1, 25, "samples",
            "samples per ioctl (see below)", "25",
            o => o.Sources.SamplesPerReading, (o, v) => o with { Sources = o.Sources with { SamplesPerReading = v } });

        public static readonly ConfigKey<SampleFilterKind> Filter = Choice("sources:filter", ConfigNames.Filters, SampleFilterKind.DelayBand,
            "reduce one reading (chrony / phc2sys; delay-corrected: the delay band with each offset moved along the delay asymmetry learnt within readings and checked across readings, see docs/chrony.md)", "fastest",
            o => o.Sources.Filter, (o, v) => o with { Sources = o.Sources with { Filter = v } });

        public static readonly ConfigKey<EstimatorKind> Estimator = Choice("sources:estimator", ConfigNames.Estimators, EstimatorKind.Kalman,
            "clock estimator (Kalman is better in the benchmark and in the lab)", "regression",
            o => o.Sources.Estimator, (o, v) => o with { Sources = o.Sources with { Estimator = v } });

        /// <summary>The holdover bound's assumed drift (<see cref="Sync.Filters.Estimation.KalmanOptions.HoldoverDriftPpbPerS"/>).</summary>
        public static readonly ConfigKey<double> HoldoverDriftPpbPerS = Number("sources:holdoverDriftPpbPerS", new Sync.Filters.Estimation.KalmanOptions().HoldoverDriftPpbPerS, 0, 1000, "ppb/s",
            "holdover bound (Kalman estimator): once no sample came for 1.5 read intervals, assume the frequency drift may steepen by this much past what was seen (in quadrature with the seen drift's offset; 0 = only what was seen; docs/architecture.md, estimate)", "5",
            o => o.Sources.HoldoverDriftPpbPerS, (o, v) => o with { Sources = o.Sources with { HoldoverDriftPpbPerS = v } });

        public static readonly ConfigKey<bool> Combine = Boolean("sources:combine", false,
            "true = read every clock each step, combine them by their bounds (falsetickers left out) and measure wider paths against the narrowest; false = the first clock that answers",
            o => o.Sources.Combine, (o, v) => o with { Sources = o.Sources with { Combine = v } });

        /// <summary>The engine's delay test (<see cref="SyncEngineOptions.StalledWindowRatio"/>): chrony's maxdelayratio.</summary>
        public static readonly ConfigKey<double> StalledWindowRatio = Number("sources:stalledWindowRatio", new SyncEngineOptions().StalledWindowRatio, 0, 1000, "x",
            "a filtered sample whose window is more than this many times its clock's typical (median) window is a stalled read and left out (0 = off; see Stalled reads)", "8",
            o => o.Sources.StalledWindowRatio, (o, v) => o with { Sources = o.Sources with { StalledWindowRatio = v } });

        public static readonly ConfigKey<int> StalledRunLimit = Integer("sources:stalledRunLimit", new SyncEngineOptions().StalledRunLimit, 1, 100_000, "samples",
            "after this many stalled reads in a row the path itself has changed: its typical window is forgotten and its samples are used again", "16",
            o => o.Sources.StalledRunLimit, (o, v) => o with { Sources = o.Sources with { StalledRunLimit = v } });

        public static readonly ListConfigKey<ClockCalibration> Calibration = new("sources:calibration", [],
            "`PATH=CORRECTIONus+-ALLOWANCEus` (what `virtsyncd calibrate` prints)",
            "fixed per-clock asymmetry: the clock's offsets read CORRECTION too high, truth within ALLOWANCE (replaces half the window)",
            "/dev/ptp0=-31.2us+-4.5us",
            ClockCalibrationItem, c => c.ToString(), o => o.Sources.Calibration, (o, v) => o with { Sources = o.Sources with { Calibration = v } },
            mayBeEmpty: true, defaultText: "[] (half the window)");

        public static readonly ConfigKey<string> LeapSecondsFile = new("sources:leapSecondsFile", "path", "/usr/share/zoneinfo/leap-seconds.list",
            "absolute path", "",
            "leap-second table (IETF format); the embedded copy is used when it is missing, corrupt or older; an expired table is warned about once",
            "/etc/virtsync/leap-seconds.list", ConfigValues.FilePath, v => v,
            o => o.Sources.LeapSecondsFile, (o, v) => o with { Sources = o.Sources with { LeapSecondsFile = v } });
    }

    private static bool ClockSelectorItem(string key, IConfigurationSection? item, string? text, Action<string, string?, string> error, out ClockSelector value)
    {
        value = null!;
        if (item is null)
        {
            if (ClockSelector.TryParse(text!) is { } parsed) { value = parsed; return true; }
            var near = ConfigValues.Nearest(text!, ClockSelector.Keywords.Select(k => k.Name));
            error(key, text, $"is neither a device path, ptpN nor a clock type: use {ClockSelector.Grammar}"
                + (near is null ? "" : $" (did you mean {near}?)"));
            return false;
        }
        var path = item["path"]?.Trim();
        var name = item["clockName"]?.Trim();
        var typeText = item["type"]?.Trim();
        int given = (path is null ? 0 : 1) + (name is null ? 0 : 1) + (typeText is null ? 0 : 1);
        if (given != 1)
        {
            error(key, null, "needs exactly one of path, clockName or type: e.g. { \"path\": \"/dev/ptp_virtio_tai\" } or { \"type\": \"tai\" }");
            return false;
        }
        if (path is not null)
        {
            if (path.Length > 0 && path[0] == '/') { value = ClockSelector.ByPath(path); return true; }
            error($"{key}:path", path, "is not an absolute path: use a device path or udev symlink such as /dev/ptp_virtio_tai");
            return false;
        }
        if (name is not null)
        {
            if (name.Length > 0) { value = ClockSelector.ByClockName(name); return true; }
            error($"{key}:clockName", name, "is empty: use a sysfs clock_name such as \"Virtio PTP type 1/variant 0\"");
            return false;
        }
        if (ConfigValues.Choice(ClockSelector.Keywords)(typeText!, out var keyword, out var problem)) { value = ClockSelector.ByKeyword(keyword); return true; }
        error($"{key}:type", typeText, problem);
        return false;
    }

    private static bool ClockCalibrationItem(string key, IConfigurationSection? item, string? text, Action<string, string?, string> error, out ClockCalibration value)
    {
        value = null!;
        if (ClockCalibration.TryParse(text ?? "", out var parsed, out var problem))
        {
            value = parsed;
            return true;
        }
        error(key, text, problem);
        return false;
    }

    private static string FormatSelector(ClockSelector s) => s.Text;
}
