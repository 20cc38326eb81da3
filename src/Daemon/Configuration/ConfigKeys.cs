using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Sync.Clock.Linux;
using Sync.Clock.VhostUser;
using Sync.Filters.Engine;
using Sync.Filters.Time;
using static Sync.Daemon.Configuration.ConfigKeyFactory;

namespace Sync.Daemon.Configuration;

/// <summary>
/// Every configuration key, declared once: name, type, default, allowed values, unit and doc line. This table
/// drives parsing and validation (<see cref="OptionsReader"/>), the defaults of the options records, `--help`,
/// the key table in docs/operations.md (ConfigKeyTableTests keeps them equal) and the error messages.
/// To add a key: declare it in its section below, add it to <see cref="All"/>, give the options record a property
/// initialised from the key's Default, and regenerate the docs table (see /work/notes/config-table.md).
/// </summary>
public static class ConfigKeys
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

    public static class Serve
    {
        public static readonly ConfigKey<string> SocketPath = Socket("serve:socketPath", "/run/virtsync/vhost-rtc.sock", "vhost-user socket",
            o => o.Serve.SocketPath, (o, v) => o with { Serve = o.Serve with { SocketPath = v } });

        public static readonly ConfigKey<VhostUserSocketRole> SocketRole = Choice("serve:socketRole", ConfigNames.SocketRoles, VhostUserSocketRole.Listen,
            "listen: QEMU connects (`-chardev socket,path=...`); connect: QEMU listens (`-chardev socket,path=...,server=on`) and `serve` connects and reconnects, so a restarted `serve` takes over a running VM (`serve --connect PATH`)",
            "connect", o => o.Serve.SocketRole, (o, v) => o with { Serve = o.Serve with { SocketRole = v } });

        public static readonly ConfigKey<string> StateDirectory = new("serve:stateDirectory", "directory", "/run/virtsync/serve-state",
            "absolute directory path", "",
            "one state file per VM connection (`vu<id>.state`); with systemd's fd store (`FileDescriptorStoreMax=`), a restarted or crashed `serve` takes over the running VMs from it, see \"Restarting serve\"",
            "/var/lib/virtsync/serve", ConfigValues.Directory("/run/virtsync/serve-state"), v => v,
            o => o.Serve.StateDirectory, (o, v) => o with { Serve = o.Serve with { StateDirectory = v } });

        public static readonly ListConfigKey<ServedClock> Clocks = new("serve:clocks",
            [ServedClock.Host(ClockScale.Utc), ServedClock.Host(ClockScale.Tai), ServedClock.Host(ClockScale.Monotonic), ServedClock.Host(ClockScale.UtcSmearedNoonLinear)],
            ConfigValues.Alternatives(ConfigNames.Names(ConfigNames.ServedClocks)),
            "clocks offered; `simulated*` serve host time plus the serve:simulated:* faults, for the VM lab", "tai, simulated",
            ServedClockItem, ConfigNames.ServedClockName, o => o.Serve.Clocks, (o, v) => o with { Serve = o.Serve with { Clocks = v } },
            mayBeEmpty: false);

        public static readonly ConfigKey<SmearVariant> SmearVariant = Choice("serve:smearVariant", ConfigNames.SmearVariants, Filters.Time.SmearVariant.Unspecified,
            "what the utc-maybe-smeared clock does: none = CLOCK_REALTIME (steps at a leap), noon or sls = smears like utc-smeared-noon/-sls", "sls",
            o => o.Serve.MaybeSmearedVariant, (o, v) => o with { Serve = o.Serve with { MaybeSmearedVariant = v } });

        public static readonly ConfigKey<bool> Alarms = Boolean("serve:alarms", true, "offer VIRTIO_RTC_F_ALARM",
            o => o.Serve.AlarmsEnabled, (o, v) => o with { Serve = o.Serve with { AlarmsEnabled = v } });

        /// <summary>Upper bound 7000: each VM holds about 8 fds, and the unit's LimitNOFILE is 65536.</summary>
        public static readonly ConfigKey<int> MaxConnections = Integer("serve:maxConnections", VhostUserServerOptions.DefaultMaxConnections, 1, ServeOptions.MaxMaxConnections, "VMs",
            "VMs (vhost-user connections) served at once; a front end over the limit is closed at once, counted in `virtsync_serve_connections_refused_total` and logged at most every 10 s",
            "16", o => o.Serve.MaxConnections, (o, v) => o with { Serve = o.Serve with { MaxConnections = v } });

        public static readonly ConfigKey<double> HandshakeTimeoutSeconds = Number("serve:handshakeTimeoutSeconds", 10, 0, 3_600, "s",
            "a front end that has not sent SET_OWNER this long after connecting is dropped (QEMU sends it at once), so silent connections cannot hold slots; 0: none",
            "30", o => o.Serve.HandshakeTimeoutSeconds, (o, v) => o with { Serve = o.Serve with { HandshakeTimeoutSeconds = v } });

        public static readonly ConfigKey<double> IdleTimeoutSeconds = Number("serve:idleTimeoutSeconds", 0, 0, 1e7, "s",
            "a connection without any vhost-user message or kick this long is dropped; 0 (default): never, since a guest without the virtio_rtc driver is silent for its whole life",
            "3600", o => o.Serve.IdleTimeoutSeconds, (o, v) => o with { Serve = o.Serve with { IdleTimeoutSeconds = v } });

        public static readonly ConfigKey<int> RealtimePriority = Integer("serve:realtimePriority", 0, 0, 99, "",
            "SCHED_FIFO priority of the one thread that serves every VM, so READs are answered at once however busy the host's CPUs are (needs `LimitRTPRIO=` of at least this, or CAP_SYS_NICE, and no `RestrictRealtime=yes`: the shipped unit sets 10 and both; without, a warning and the normal scheduler); 0: the normal scheduler with the shortest slice. See \"Limits of serve\"",
            "10", o => o.Serve.RealtimePriority, (o, v) => o with { Serve = o.Serve with { RealtimePriority = v } });

        /// <summary>A group name (resolved with getgrnam at load) or a numeric gid; empty: the process's own group (gid -1).</summary>
        public static readonly ConfigKey<(string Name, int Gid)> SocketGroup = new("serve:socketGroup", "group", ("", -1),
            "a group name or numeric gid", "",
            "group of the socket file (the process must be in it, e.g. `SupplementaryGroups=`); the shipped unit sets kvm, see \"Who may connect\"",
            "0", ParseSocketGroup, v => v.Name,
            o => (o.Serve.SocketGroup, o.Serve.SocketGroupId), (o, v) => o with { Serve = o.Serve with { SocketGroup = v.Name, SocketGroupId = v.Gid } },
            defaultText: "(the process's group)");

        public static readonly ConfigKey<UnixFileMode> SocketMode = new("serve:socketMode", "octal mode", ServeOptions.DefaultSocketMode,
            "octal, the owner keeps rw", "", "permission bits of the socket file", "0666", ParseSocketMode,
            v => "0" + Convert.ToString((int)v, 8),
            o => o.Serve.SocketMode, (o, v) => o with { Serve = o.Serve with { SocketMode = v } });

        private static bool ParseSocketGroup(string raw, out (string Name, int Gid) value, out string problem)
        {
            value = (raw, -1);
            problem = "";
            if (raw.Length == 0) return true;
            if (Sync.Clock.VhostUser.Native.UnixGroups.TryResolve(raw, out int gid, out problem)) { value = (raw, gid); return true; }
            problem += ": use a group QEMU runs in, e.g. kvm (libvirt-qemu:kvm), or a numeric gid";
            return false;
        }

        /// <summary>Octal permission bits of a socket file; the owner must keep read and write.</summary>
        private static bool ParseSocketMode(string raw, out UnixFileMode value, out string problem)
        {
            value = ServeOptions.DefaultSocketMode;
            problem = "";
            int mode = 0;
            bool octal = raw.Length is >= 3 and <= 4 && raw.All(c => c is >= '0' and <= '7');
            if (octal)
                foreach (var c in raw) mode = mode * 8 + (c - '0');
            if (!octal || mode > 0x1FF || (mode & 0x180) != 0x180)
            {
                problem = "is not an octal socket mode the owner can use: use e.g. 0660 (owner and group) or 0666 (anyone)";
                return false;
            }
            value = (UnixFileMode)mode;
            return true;
        }
    }

    /// <summary>The faults of the simulated served clocks, counted from serve:simulated:epochUnixSeconds.</summary>
    public static class Simulated
    {
        public static readonly ConfigKey<double> OffsetMs = Number("serve:simulated:offsetMs", 0, -1e9, 1e9, "ms",
            "simulated clocks: constant offset from host time", "250",
            o => o.Serve.Simulated.OffsetMs, (o, v) => With(o, o.Serve.Simulated with { OffsetMs = v }));

        public static readonly ConfigKey<double> RatePpm = Number("serve:simulated:ratePpm", 0, -1000, 1000, "ppm",
            "rate error, from rateAfterSeconds after the epoch", "10",
            o => o.Serve.Simulated.RatePpm, (o, v) => With(o, o.Serve.Simulated with { RatePpm = v }));

        public static readonly ConfigKey<double> RateAfterSeconds = Number("serve:simulated:rateAfterSeconds", 0, 0, 1e9, "s",
            "when the rate error starts", "60",
            o => o.Serve.Simulated.RateAfterSeconds, (o, v) => With(o, o.Serve.Simulated with { RateAfterSeconds = v }));

        public static readonly ConfigKey<double> StepMs = Number("serve:simulated:stepMs", 0, -1e9, 1e9, "ms",
            "one step of this size, at stepAfterSeconds after the epoch", "100",
            o => o.Serve.Simulated.StepMs, (o, v) => With(o, o.Serve.Simulated with { StepMs = v }));

        public static readonly ConfigKey<double> StepAfterSeconds = Number("serve:simulated:stepAfterSeconds", 0, 0, 1e9, "s",
            "when the step happens", "120",
            o => o.Serve.Simulated.StepAfterSeconds, (o, v) => With(o, o.Serve.Simulated with { StepAfterSeconds = v }));

        public static readonly ConfigKey<ClockScale> Scale = Choice("serve:simulated:scale", ConfigNames.SimulatedScales, ClockScale.Utc,
            "the scale of `simulated` (the simulated-* clocks name theirs)", "tai",
            o => o.Serve.Simulated.Scale, (o, v) => With(o, o.Serve.Simulated with { Scale = v }));

        public static readonly ConfigKey<DateTimeOffset?> LeapAtUtc = new("serve:simulated:leapAtUtc", "UTC midnight", null,
            "a UTC midnight, e.g. 2026-12-31T00:00:00Z", "", "an extra inserted leap second ending the day before",
            "2026-12-31T00:00:00Z", ConfigValues.UtcMidnight, ConfigValues.FormatUtcMidnight,
            o => o.Serve.Simulated.LeapAtUtc, (o, v) => With(o, o.Serve.Simulated with { LeapAtUtc = v }), defaultText: "(none)");

        public static readonly ConfigKey<double> EpochUnixSeconds = Number("serve:simulated:epochUnixSeconds", 0, 0, 1e11, "s",
            "what the faults count from (Unix time; 0 = serve's start); a restarted serve with the same epoch serves the same clock", "1790000000",
            o => o.Serve.Simulated.EpochUnixSeconds, (o, v) => With(o, o.Serve.Simulated with { EpochUnixSeconds = v }));

        private static VirtsyncOptions With(VirtsyncOptions o, SimulatedServedClockOptions simulated) => o with { Serve = o.Serve with { Simulated = simulated } };
    }

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

    /// <summary>Every key, in the order of the docs table and `--help`.</summary>
    public static readonly IReadOnlyList<ConfigKey> All =
    [
        Sources.Clocks, Sources.ReadIntervalSeconds, Sources.ReadTimeoutMs, Sources.ReadRetries, Sources.CircuitBreakSeconds, Sources.ReattachIntervalSeconds, Sources.SamplesPerReading, Sources.Filter, Sources.Estimator,
        Sources.LeapSecondsFile, Sources.Combine, Sources.Calibration, Sources.StalledWindowRatio, Sources.StalledRunLimit,
        Discipline.MakestepThresholdSeconds, Discipline.MakestepLimit, Discipline.MaxSlewRatePpm, Discipline.LeapPolicy, Discipline.WriteEnabled,
        Discipline.ForeignWriterQuietSeconds,
        Serve.SocketPath, Serve.SocketRole, Serve.StateDirectory, Serve.Clocks, Serve.SmearVariant, Serve.Alarms, Serve.MaxConnections,
        Serve.HandshakeTimeoutSeconds, Serve.IdleTimeoutSeconds, Serve.RealtimePriority, Serve.SocketGroup, Serve.SocketMode,
        Simulated.OffsetMs, Simulated.RatePpm, Simulated.RateAfterSeconds, Simulated.StepMs, Simulated.StepAfterSeconds, Simulated.Scale,
        Simulated.LeapAtUtc, Simulated.EpochUnixSeconds,
        Metrics.Enabled, Metrics.Listen,
        Status.Enabled, Status.SocketPath,
        Systemd.ReadyTimeoutSeconds, Systemd.StatusIntervalSeconds,
        Logging.Level, Logging.Format,
        Chrony.Enabled, Chrony.SocketPath,
        ClockBound.Enabled, ClockBound.Path, ClockBound.MaxDriftPpm,
    ];

    /// <summary>The sections, in table order.</summary>
    public static IReadOnlyList<string> Sections => All.Select(k => k.Section).Distinct().ToList();

    /// <summary>The key owning a leaf of the configuration (any case), or null for an unknown key.</summary>
    public static ConfigKey? Find(string key) => All.FirstOrDefault(k => k.Owns(key));

    /// <summary>The key table of docs/operations.md.</summary>
    public static string MarkdownTable()
    {
        var w = new System.Text.StringBuilder();
        w.Append("| key | type | default | allowed | unit | meaning |\n");
        w.Append("| --- | --- | --- | --- | --- | --- |\n");
        foreach (var k in All)
            w.Append($"| {Cell(k.Name)} | {Cell(k.Type)} | {Cell(DefaultCell(k))} | {Cell(k.AllowedText)} | {Cell(k.Unit)} | {Cell(k.Doc)} |\n");
        return w.ToString();

        static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
    }

    /// <summary>The default as the docs table and `--help` show it: "9 (chrony mode: 25)" for a key with a mode default.</summary>
    public static string DefaultCell(ConfigKey k) =>
        Chrony.ModeDefaultOf(k) is { } d ? $"{k.DefaultText} (chrony mode: {d.Value})" : k.DefaultText;

    /// <summary>The key lines of `--help`.</summary>
    public static string HelpLines()
    {
        var w = new System.Text.StringBuilder();
        foreach (var k in All)
        {
            var unit = k.Unit.Length > 0 ? " " + k.Unit : "";
            w.Append($"  {k.Name,-38} {DefaultCell(k)}{unit} ({k.AllowedText}): {k.Doc}\n");
        }
        return w.ToString();
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

    private static bool ServedClockItem(string key, IConfigurationSection? item, string? text, Action<string, string?, string> error, out ServedClock value)
    {
        if (ConfigValues.Choice(ConfigNames.ServedClocks)(text ?? "", out value, out var problem)) return true;
        error(key, text ?? "", problem);
        return false;
    }
}

/// <summary>Short constructors for the common key types of <see cref="ConfigKeys"/>.</summary>
public static class ConfigKeyFactory
{
    public static ConfigKey<double> Number(string name, double @default, double min, double max, string unit, string doc, string example,
        Func<VirtsyncOptions, double> get, Func<VirtsyncOptions, double, VirtsyncOptions> set) =>
        new(name, "number", @default, ConfigValues.Range(min, max), unit, doc, example, ConfigValues.Number(min, max), ConfigValues.Format, get, set);

    public static ConfigKey<int> Integer(string name, int @default, int min, int max, string unit, string doc, string example,
        Func<VirtsyncOptions, int> get, Func<VirtsyncOptions, int, VirtsyncOptions> set) =>
        new(name, "integer", @default, $"{min}..{max}", unit, doc, example, ConfigValues.Integer(min, max),
            v => v.ToString(System.Globalization.CultureInfo.InvariantCulture), get, set);

    public static ConfigKey<bool> Boolean(string name, bool @default, string doc,
        Func<VirtsyncOptions, bool> get, Func<VirtsyncOptions, bool, VirtsyncOptions> set) =>
        new(name, "boolean", @default, "true, false", "", doc, ConfigValues.FormatBoolean(!@default), ConfigValues.Boolean, ConfigValues.FormatBoolean, get, set);

    public static ConfigKey<T> Choice<T>(string name, IReadOnlyList<(string Name, T Value)> table, T @default, string doc, string example,
        Func<VirtsyncOptions, T> get, Func<VirtsyncOptions, T, VirtsyncOptions> set) where T : struct =>
        new(name, "choice", @default, string.Join(", ", ConfigNames.Names(table)), "", doc, example, ConfigValues.Choice(table),
            v => ConfigNames.Name(table, v), get, set);

    /// <summary>An absolute path that fits a Unix socket address.</summary>
    public static ConfigKey<string> Socket(string name, string @default, string doc,
        Func<VirtsyncOptions, string> get, Func<VirtsyncOptions, string, VirtsyncOptions> set) =>
        new(name, "path", @default, "absolute path", "", doc, "/tmp/virtsync-example.sock", ConfigValues.SocketPath, v => v, get, set);
}
