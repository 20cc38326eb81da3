using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using static Sync.Daemon.Configuration.ConfigKeyFactory;

namespace Sync.Daemon.Configuration;

/// <summary>The sections of the key table (<see cref="ConfigKeys"/>) for what the daemon tells others and how it runs:
/// metrics, the status socket, systemd, logging, chrony mode and ClockBound.</summary>
public static partial class ConfigKeys
{
    public static class Metrics
    {
        public static readonly ConfigKey<bool> Enabled = Boolean("metrics:enabled", true, "Prometheus endpoint",
            o => o.Metrics.Enabled, (o, v) => o with { Metrics = o.Metrics with { Enabled = v } });

        /// <summary>
        /// Port 10123: outside 9100-9999, which Prometheus' exporter port list has fully allocated (node 9100,
        /// chrony_exporter 9123, ntpd-rs 9975, OpenTelemetry's default 9464).
        /// </summary>
        public static readonly ConfigKey<(string Host, int Port)> Listen = new("metrics:listen", "HOST:PORT", ("127.0.0.1", 10123),
            "HOST:PORT: an IPv4 address, [IPv6 address] or localhost; 0.0.0.0 and [::] for every address", "",
            "where /metrics listens (every form works in every mode; [::] takes IPv4 scrapes too). A port in use or an address not of this host ends the start with one line naming this key, exit 78",
            "[::1]:9999", ConfigValues.Listen, ConfigValues.FormatListen,
            o => (o.Metrics.Host, o.Metrics.Port), (o, v) => o with { Metrics = o.Metrics with { Host = v.Host, Port = v.Port } });
    }

    public static class Status
    {
        public static readonly ConfigKey<bool> Enabled = Boolean("status:enabled", true, "control socket",
            o => o.Status.Enabled, (o, v) => o with { Status = o.Status with { Enabled = v } });

        public static readonly ConfigKey<string> SocketPath = Socket("status:socketPath", "/run/virtsync/status.sock", "control socket path",
            o => o.Status.SocketPath, (o, v) => o with { Status = o.Status with { SocketPath = v } });
    }

    public static class Systemd
    {
        public static readonly ConfigKey<double> ReadyTimeoutSeconds = Number("systemd:readyTimeoutSeconds", 30, 0, 86_400, "s",
            "READY=1 at the first good sample or after this", "5",
            o => o.Systemd.ReadyTimeoutSeconds, (o, v) => o with { Systemd = o.Systemd with { ReadyTimeoutSeconds = v } });

        public static readonly ConfigKey<double> StatusIntervalSeconds = Number("systemd:statusIntervalSeconds", 1, 0, 3_600, "s",
            "shortest gap between STATUS= updates", "0",
            o => o.Systemd.StatusIntervalSeconds, (o, v) => o with { Systemd = o.Systemd with { StatusIntervalSeconds = v } });
    }

    public static class Logging
    {
        public static readonly ConfigKey<LogLevel> Level = Choice("logging:level", ConfigNames.LogLevels, LogLevel.Information,
            "log level", "debug",
            o => o.Logging.Level, (o, v) => o with { Logging = o.Logging with { Level = v } });

        public static readonly ConfigKey<LogFormat> Format = Choice("logging:format", ConfigNames.LogFormats, LogFormat.Auto,
            "auto = journal fields under systemd", "json",
            o => o.Logging.Format, (o, v) => o with { Logging = o.Logging with { Format = v } });
    }

    public static class Chrony
    {
        public static readonly ConfigKey<bool> Enabled = Boolean("chrony:enabled", false, "feed chronyd instead of steering (docs/chrony.md)",
            o => o.Chrony.Enabled, (o, v) => o with { Chrony = o.Chrony with { Enabled = v } });

        public static readonly ConfigKey<string> SocketPath = Socket("chrony:socketPath", "/run/chrony/virtsync.sock", "chrony's SOCK refclock",
            o => o.Chrony.SocketPath, (o, v) => o with { Chrony = o.Chrony with { SocketPath = v } });

        /// <summary>
        /// Defaults of other sections' keys in chrony mode (docs/chrony.md, "How virtsync reads the clock for chronyd"):
        /// applied when chrony:enabled is true and the key is set nowhere (file, environment, command line). 25 samples
        /// per reading (chronyd's own PHC driver takes 25) and the delay-corrected band: in the VM lab (2026-12-07, pairs
        /// t1, r1-r3) each reading's offset grew 0.25-0.34 x its delay against the reference, the asymmetry learnt within
        /// readings was 0.21-0.31, and removing it left the readings' 10 s means wandering 1.5-4.7 us where the plain
        /// band's estimate, which chronyd followed, wandered 3.4-7.9 us.
        /// </summary>
        public static readonly IReadOnlyList<ModeDefault> ModeDefaults =
        [
            new(Sources.SamplesPerReading, "25"),
            new(Sources.Filter, "delay-corrected"),
        ];

        /// <summary>The chrony-mode default of <paramref name="key"/>, or null.</summary>
        public static ModeDefault? ModeDefaultOf(ConfigKey key) => ModeDefaults.FirstOrDefault(d => d.Key == key);

        /// <summary>The mode-default keys as they are in <paramref name="options"/> (`status` shows it): "sources:samplesPerReading=25, ...".</summary>
        public static string ReadingSummary(VirtsyncOptions options) =>
            string.Join(", ", ModeDefaults.Select(d => $"{d.Key.Name}={d.Key.ValueIn(options)}"));

        /// <summary>The table of docs/chrony.md: key, its own default, its chrony-mode default.</summary>
        public static string ModeDefaultsTable() =>
            "| key | default | chrony mode |\n| --- | --- | --- |\n"
            + string.Concat(ModeDefaults.Select(d => $"| `{d.Key.Name}` | {d.Key.DefaultText} | {d.Value} |\n"));

        /// <summary>Applies the mode defaults of keys the configuration does not set (parsed by each key as if configured).</summary>
        internal static VirtsyncOptions ApplyModeDefaults(IConfiguration config, VirtsyncOptions options, List<ConfigurationError> errors)
        {
            if (!options.Chrony.Enabled) return options;
            foreach (var d in ModeDefaults)
            {
                if (config[d.Key.Name] is not null) continue;
                var layer = new ConfigurationBuilder().AddInMemoryCollection([new(d.Key.Name, d.Value)]).Build();
                options = d.Key.Read(layer, options, errors);
            }
            return options;
        }
    }

    /// <summary>A key's default in a mode (<see cref="Chrony.ModeDefaults"/>), in configuration spelling.</summary>
    public sealed record ModeDefault(ConfigKey Key, string Value);

    /// <summary>The AWS ClockBound v2 shared-memory segment (docs/operations.md, "Bounds for applications").</summary>
    public static class ClockBound
    {
        public static readonly ConfigKey<bool> Enabled = Boolean("clockBound:enabled", true,
            "publish the bound for ClockBound clients (only while virtsyncd steers the clock)",
            o => o.ClockBound.Enabled, (o, v) => o with { ClockBound = o.ClockBound with { Enabled = v } });

        public static readonly ConfigKey<string> Path = new("clockBound:path", "path", Daemon.ClockBound.ClockBoundSegment.DefaultPath,
            "absolute path", "", "the ClockBound v2 segment (see \"Bounds for applications\")", "/run/clockbound/test-shm0",
            ConfigValues.FilePath, v => v, o => o.ClockBound.Path, (o, v) => o with { ClockBound = o.ClockBound with { Path = v } });

        /// <summary>
        /// 50 ppm: the drift ClockBound advises for honest bounds, and the largest rate jump a VM counter makes at live
        /// migration or restore. Readers widen the bound by this x the time since as-of; virtsync publishes at every
        /// read (0.25 s by default), so it adds at most 12.5 us. Lower it only where no rate jump can happen unseen.
        /// </summary>
        public static readonly ConfigKey<double> MaxDriftPpm = Number("clockBound:maxDriftPpm", 50, 0, 1000, "ppm",
            "drift readers add per second since as-of", "10",
            o => o.ClockBound.MaxDriftPpm, (o, v) => o with { ClockBound = o.ClockBound with { MaxDriftPpm = v } });
    }
}
