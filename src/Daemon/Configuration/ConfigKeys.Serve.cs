using Microsoft.Extensions.Configuration;
using Sync.Clock.VhostUser;
using Sync.Filters.Time;
using static Sync.Daemon.Configuration.ConfigKeyFactory;

namespace Sync.Daemon.Configuration;

/// <summary>The serve section of the key table (<see cref="ConfigKeys"/>): the host's virtio-rtc device and its simulated clocks.</summary>
public static partial class ConfigKeys
{
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
            if (Sync.Clock.Linux.UnixGroups.TryResolve(raw, out int gid, out problem)) { value = (raw, gid); return true; }
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

    private static bool ServedClockItem(string key, IConfigurationSection? item, string? text, Action<string, string?, string> error, out ServedClock value)
    {
        if (ConfigValues.Choice(ConfigNames.ServedClocks)(text ?? "", out value, out var problem)) return true;
        error(key, text ?? "", problem);
        return false;
    }
}
