using Sync.Clock.VhostUser;
using Sync.Daemon.ClockBound;
using Sync.Filters.Engine;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Sync.Filters.Time;

namespace Sync.Daemon.Configuration;

/// <summary>
/// Reads and validates every key by hand (AOT-safe, and each message names the key, the value and what is
/// allowed, e.g. "sources:samplesPerReading = 40 is out of range: use 1..25"). Unknown keys are errors too,
/// so a typo never silently falls back to a default.
/// </summary>
internal sealed class OptionsReader
{
    private static readonly string[] ScalarKeys =
    [
        "sources:readIntervalSeconds", "sources:readTimeoutMs", "sources:samplesPerReading", "sources:filter", "sources:estimator", "sources:leapSecondsFile",
        "discipline:makestepThresholdSeconds", "discipline:makestepLimit", "discipline:maxSlewRatePpm",
        "discipline:leapPolicy", "discipline:writeEnabled",
        "serve:socketPath", "serve:socketRole", "serve:stateDirectory", "serve:smearVariant", "serve:alarms",
        "serve:maxConnections", "serve:handshakeTimeoutSeconds", "serve:idleTimeoutSeconds", "serve:socketGroup", "serve:socketMode",
        "serve:simulated:offsetMs", "serve:simulated:ratePpm", "serve:simulated:rateAfterSeconds",
        "serve:simulated:stepMs", "serve:simulated:stepAfterSeconds", "serve:simulated:scale", "serve:simulated:leapAtUtc",
        "serve:simulated:epochUnixSeconds",
        "metrics:enabled", "metrics:listen",
        "status:enabled", "status:socketPath",
        "systemd:readyTimeoutSeconds", "systemd:statusIntervalSeconds",
        "logging:level", "logging:format",
        "chrony:enabled", "chrony:socketPath",
        "clockBound:enabled", "clockBound:path", "clockBound:maxDriftPpm",
    ];

    private static readonly string[] ClockSelectorKeys = ["path", "clockName", "type"];

    private readonly IConfiguration _config;
    private readonly List<ConfigurationError> _errors;

    private OptionsReader(IConfiguration config, List<ConfigurationError> errors) { _config = config; _errors = errors; }

    public static VirtsyncOptions Read(IConfiguration config, List<ConfigurationError> errors)
    {
        var reader = new OptionsReader(config, errors);
        reader.CheckUnknownKeys();
        return reader.ReadAll();
    }

    private VirtsyncOptions ReadAll()
    {
        var (host, port) = Listen("metrics:listen", MetricsOptions.DefaultHost, MetricsOptions.DefaultPort);
        var options = new VirtsyncOptions
        {
            Sources = new SourcesOptions
            {
                Clocks = SourceClocks(),
                ReadIntervalSeconds = Double("sources:readIntervalSeconds", SourcesOptions.DefaultReadIntervalSeconds,
                    SourcesOptions.MinReadIntervalSeconds, SourcesOptions.MaxReadIntervalSeconds),
                ReadTimeoutMs = Int("sources:readTimeoutMs", SourcesOptions.DefaultReadTimeoutMs,
                    SourcesOptions.MinReadTimeoutMs, SourcesOptions.MaxReadTimeoutMs),
                SamplesPerReading = Int("sources:samplesPerReading", SourcesOptions.DefaultSamplesPerReading,
                    SourcesOptions.MinSamplesPerReading, SourcesOptions.MaxSamplesPerReading),
                Filter = Choice("sources:filter", ConfigNames.Filters, SampleFilterKind.DelayBand),
                Estimator = Choice("sources:estimator", ConfigNames.Estimators, EstimatorKind.Kalman),
                LeapSecondsFile = AbsolutePath("sources:leapSecondsFile", SourcesOptions.DefaultLeapSecondsFile),
            },
            Discipline = new DisciplineOptions
            {
                MakestepThresholdSeconds = Double("discipline:makestepThresholdSeconds", DisciplineOptions.DefaultMakestepThresholdSeconds, 0.000001, 1e9),
                MakestepLimit = Int("discipline:makestepLimit", DisciplineOptions.DefaultMakestepLimit, -1, 1_000_000),
                MaxSlewRatePpm = Double("discipline:maxSlewRatePpm", DisciplineOptions.DefaultMaxSlewRatePpm, 1, DisciplineOptions.MaxMaxSlewRatePpm),
                LeapPolicy = Choice("discipline:leapPolicy", ConfigNames.LeapPolicies, LeapPolicy.Kernel),
                WriteEnabled = Bool("discipline:writeEnabled", true),
            },
            Serve = new ServeOptions
            {
                SocketPath = AbsolutePath("serve:socketPath", ServeOptions.DefaultSocketPath),
                SocketRole = Choice("serve:socketRole", ConfigNames.SocketRoles, VhostUserSocketRole.Listen),
                StateDirectory = AbsoluteDirectory("serve:stateDirectory", ServeOptions.DefaultStateDirectory),
                Clocks = ServedClocks(),
                MaybeSmearedVariant = Choice("serve:smearVariant", ConfigNames.SmearVariants, SmearVariant.Unspecified),
                AlarmsEnabled = Bool("serve:alarms", true),
                MaxConnections = Int("serve:maxConnections", VhostUserServerOptions.DefaultMaxConnections, 1, ServeOptions.MaxMaxConnections),
                HandshakeTimeoutSeconds = Double("serve:handshakeTimeoutSeconds", 10, 0, 3_600),
                IdleTimeoutSeconds = Double("serve:idleTimeoutSeconds", 0, 0, 1e7),
                SocketGroup = _config["serve:socketGroup"] ?? "",
                SocketGroupId = SocketGroup("serve:socketGroup"),
                SocketMode = SocketMode("serve:socketMode"),
                Simulated = new SimulatedServedClockOptions
                {
                    OffsetMs = Double("serve:simulated:offsetMs", 0, -1e9, 1e9),
                    RatePpm = Double("serve:simulated:ratePpm", 0, -1000, 1000),
                    RateAfterSeconds = Double("serve:simulated:rateAfterSeconds", 0, 0, 1e9),
                    StepMs = Double("serve:simulated:stepMs", 0, -1e9, 1e9),
                    StepAfterSeconds = Double("serve:simulated:stepAfterSeconds", 0, 0, 1e9),
                    Scale = Choice("serve:simulated:scale", ConfigNames.ServedClocks, ServedClock.Utc),
                    LeapAtUtc = _config["serve:simulated:leapAtUtc"] ?? "",
                    EpochUnixSeconds = Double("serve:simulated:epochUnixSeconds", 0, 0, 1e11),
                },
            },
            Metrics = new MetricsOptions { Enabled = Bool("metrics:enabled", true), Host = host, Port = port },
            Status = new StatusOptions
            {
                Enabled = Bool("status:enabled", true),
                SocketPath = AbsolutePath("status:socketPath", StatusOptions.DefaultSocketPath),
            },
            Systemd = new SystemdOptions
            {
                ReadyTimeoutSeconds = Double("systemd:readyTimeoutSeconds", SystemdOptions.DefaultReadyTimeoutSeconds, 0, 86_400),
                StatusIntervalSeconds = Double("systemd:statusIntervalSeconds", 1, 0, 3_600),
            },
            Logging = new LoggingOptions
            {
                Level = Choice("logging:level", ConfigNames.LogLevels, Microsoft.Extensions.Logging.LogLevel.Information),
                Format = Choice("logging:format", ConfigNames.LogFormats, LogFormat.Auto),
            },
            Chrony = new ChronyOptions
            {
                Enabled = Bool("chrony:enabled", false),
                SocketPath = AbsolutePath("chrony:socketPath", ChronyOptions.DefaultSocketPath),
            },
            ClockBound = new ClockBoundOptions
            {
                Enabled = Bool("clockBound:enabled", true),
                Path = AbsolutePath("clockBound:path", ClockBoundSegment.DefaultPath),
                MaxDriftPpm = Double("clockBound:maxDriftPpm", ClockBoundOptions.DefaultMaxDriftPpm,
                    ClockBoundOptions.MinMaxDriftPpm, ClockBoundOptions.MaxMaxDriftPpm),
            },
        };
        return options;
    }

    private void CheckUnknownKeys()
    {
        foreach (var (key, value) in _config.AsEnumerable())
        {
            if (value is null) continue; // a section, not a leaf
            if (IsKnown(key)) continue;
            var section = key.Split(':')[0];
            var known = ScalarKeys.Where(k => k.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)).ToList();
            if (section.Equals("sources", StringComparison.OrdinalIgnoreCase)) known.Insert(0, "sources:clocks");
            if (section.Equals("serve", StringComparison.OrdinalIgnoreCase)) known.Insert(1, "serve:clocks");
            var hint = known.Count > 0
                ? $"use one of {string.Join(", ", known)}"
                : "sections are sources, discipline, serve, metrics, status, systemd, logging, chrony, clockBound";
            Add(key, null, $"is not a known key: {hint}");
        }
    }

    private static bool IsKnown(string key)
    {
        if (ScalarKeys.Contains(key, StringComparer.OrdinalIgnoreCase)) return true;
        var parts = key.Split(':');
        if (parts.Length >= 2 && parts[0].Equals("serve", StringComparison.OrdinalIgnoreCase) && parts[1].Equals("clocks", StringComparison.OrdinalIgnoreCase))
            return parts.Length == 2 || (parts.Length == 3 && IsIndex(parts[2]));
        if (parts.Length >= 2 && parts[0].Equals("sources", StringComparison.OrdinalIgnoreCase) && parts[1].Equals("clocks", StringComparison.OrdinalIgnoreCase))
            return parts.Length == 2
                || (parts.Length == 3 && IsIndex(parts[2]))
                || (parts.Length == 4 && IsIndex(parts[2]) && ClockSelectorKeys.Contains(parts[3], StringComparer.OrdinalIgnoreCase));
        return false;
    }

    private static bool IsIndex(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    private void Add(string key, string? value, string problem) => _errors.Add(new ConfigurationError(key, value, problem));

    private string? Raw(string key)
    {
        var value = _config[key];
        return value is null ? null : value.Trim();
    }

    private double Double(string key, double fallback, double min, double max)
    {
        var raw = Raw(key);
        if (raw is null) return fallback;
        var range = $"use {Format(min)}..{Format(max)}";
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            Add(key, raw, $"is not a number: {range}");
            return fallback;
        }
        if (value < min || value > max)
        {
            Add(key, raw, $"is out of range: {range}");
            return fallback;
        }
        return value;
    }

    private int Int(string key, int fallback, int min, int max)
    {
        var raw = Raw(key);
        if (raw is null) return fallback;
        var range = $"use {min}..{max}";
        if (!long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Add(key, raw, $"is not a whole number: {range}");
            return fallback;
        }
        if (value < min || value > max)
        {
            Add(key, raw, $"is out of range: {range}");
            return fallback;
        }
        return (int)value;
    }

    private bool Bool(string key, bool fallback)
    {
        var raw = Raw(key);
        if (raw is null) return fallback;
        if (raw.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
        if (raw.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
        Add(key, raw, "is not allowed: use true or false");
        return fallback;
    }

    private T Choice<T>(string key, IReadOnlyList<(string Name, T Value)> table, T fallback) where T : struct, Enum
    {
        var raw = Raw(key);
        if (raw is null) return fallback;
        if (TryChoice(raw, table, out var value)) return value;
        Add(key, raw, $"is not allowed: use {Alternatives(table)}");
        return fallback;
    }

    private static bool TryChoice<T>(string raw, IReadOnlyList<(string Name, T Value)> table, out T value) where T : struct, Enum
    {
        foreach (var (name, v) in table)
        {
            if (name.Equals(raw, StringComparison.OrdinalIgnoreCase)) { value = v; return true; }
        }
        value = default;
        return false;
    }

    private static string Alternatives<T>(IReadOnlyList<(string Name, T Value)> table)
    {
        var names = table.Select(t => t.Name).ToList();
        return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
    }

    /// <summary>A group name (resolved with getgrnam) or numeric gid; -1 when unset or empty.</summary>
    private int SocketGroup(string key)
    {
        var raw = Raw(key);
        if (string.IsNullOrEmpty(raw)) return -1;
        if (Sync.Clock.VhostUser.Native.UnixGroups.TryResolve(raw, out int gid, out string problem)) return gid;
        Add(key, raw, $"{problem}: use a group QEMU runs in, e.g. kvm (libvirt-qemu:kvm), or a numeric gid");
        return -1;
    }

    /// <summary>Octal permission bits of a socket file; the owner must keep read and write.</summary>
    private UnixFileMode SocketMode(string key)
    {
        var raw = Raw(key);
        if (raw is null) return ServeOptions.DefaultSocketMode;
        int mode = 0;
        bool octal = raw.Length is >= 3 and <= 4 && raw.All(c => c is >= '0' and <= '7');
        if (octal)
            foreach (var c in raw) mode = mode * 8 + (c - '0');
        if (!octal || mode > 0x1FF || (mode & 0x180) != 0x180)
        {
            Add(key, raw, "is not an octal socket mode the owner can use: use e.g. 0660 (owner and group) or 0666 (anyone)");
            return ServeOptions.DefaultSocketMode;
        }
        return (UnixFileMode)mode;
    }

    private string AbsolutePath(string key, string fallback)
    {
        var raw = Raw(key);
        if (raw is null) return fallback;
        if (raw.Length == 0 || raw[0] != '/')
        {
            Add(key, raw, "is not an absolute path: use a path starting with /");
            return fallback;
        }
        if (raw.Contains('\0'))
        {
            Add(key, raw, "contains a NUL character: use a plain path");
            return fallback;
        }
        // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
        if (System.Text.Encoding.UTF8.GetByteCount(raw) > 107)
        {
            Add(key, raw, "is too long for a Unix socket: use at most 107 bytes");
            return fallback;
        }
        return raw;
    }

    private string AbsoluteDirectory(string key, string fallback)
    {
        var raw = Raw(key);
        if (raw is null) return fallback;
        if (raw.Length == 0 || raw[0] != '/')
        {
            Add(key, raw.Length == 0 ? "(empty)" : raw, "is not an absolute path: use a directory path starting with /, e.g. " + fallback);
            return fallback;
        }
        if (raw.Contains('\0'))
        {
            Add(key, raw, "contains a NUL character: use a plain path");
            return fallback;
        }
        return raw;
    }

    private (string Host, int Port) Listen(string key, string fallbackHost, int fallbackPort)
    {
        var raw = Raw(key);
        if (raw is null) return (fallbackHost, fallbackPort);
        if (TryParseListen(raw, out var host, out var port, out var problem)) return (host, port);
        Add(key, raw, problem);
        return (fallbackHost, fallbackPort);
    }

    /// <summary>HOST:PORT with an IPv4 address, [IPv6] or localhost, port 1..65535.</summary>
    public static bool TryParseListen(string raw, out string host, out int port, out string problem)
    {
        host = ""; port = 0;
        const string usage = "use HOST:PORT, e.g. 127.0.0.1:10123 or [::1]:10123";
        int colon = raw.LastIndexOf(':');
        if (colon <= 0 || colon == raw.Length - 1) { problem = $"is not HOST:PORT: {usage}"; return false; }
        var hostPart = raw[..colon];
        var portPart = raw[(colon + 1)..];
        if (hostPart.StartsWith('[') && hostPart.EndsWith(']')) hostPart = hostPart[1..^1];
        else if (hostPart.Contains(':')) { problem = $"has an IPv6 address without brackets: {usage}"; return false; }
        if (!int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port < 1 || port > 65535)
        {
            problem = $"has a bad port '{portPart}': use a port in 1..65535";
            return false;
        }
        if (!hostPart.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(hostPart, out _))
        {
            problem = $"has a bad host '{hostPart}': use an IP address or localhost";
            return false;
        }
        host = hostPart;
        problem = "";
        return true;
    }

    private IReadOnlyList<ClockSelector> SourceClocks()
    {
        var section = _config.GetSection("sources:clocks");
        var result = new List<ClockSelector>();
        if (section.Value is { } single)
        {
            foreach (var item in single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (ShortSelector("sources:clocks", item) is { } selector) result.Add(selector);
            return result;
        }
        foreach (var child in section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            var key = $"sources:clocks:{child.Key}";
            if (child.Value is { } text)
            {
                if (ShortSelector(key, text.Trim()) is { } selector) result.Add(selector);
                continue;
            }
            var path = child["path"]?.Trim();
            var name = child["clockName"]?.Trim();
            var typeText = child["type"]?.Trim();
            int given = (path is null ? 0 : 1) + (name is null ? 0 : 1) + (typeText is null ? 0 : 1);
            if (given != 1)
            {
                Add(key, null, "needs exactly one of path, clockName or type: e.g. { \"path\": \"/dev/ptp_virtio_tai\" } or { \"type\": \"tai\" }");
                continue;
            }
            if (path is not null)
            {
                if (path.Length == 0 || path[0] != '/') Add($"{key}:path", path, "is not an absolute path: use a device path or udev symlink such as /dev/ptp_virtio_tai");
                else result.Add(ClockSelector.ByPath(path));
            }
            else if (name is not null)
            {
                if (name.Length == 0) Add($"{key}:clockName", name, "is empty: use a sysfs clock_name such as \"Virtio PTP type 1/variant 0\"");
                else result.Add(ClockSelector.ByClockName(name));
            }
            else if (TryChoice(typeText!, ConfigNames.TimeScales, out var scale)) result.Add(ClockSelector.ByType(scale));
            else Add($"{key}:type", typeText, $"is not allowed: use {Alternatives(ConfigNames.TimeScales)}");
        }
        return result;
    }

    private ClockSelector? ShortSelector(string key, string text)
    {
        if (text.StartsWith('/')) return ClockSelector.ByPath(text);
        if (TryChoice(text, ConfigNames.TimeScales, out var scale)) return ClockSelector.ByType(scale);
        Add(key, text, $"is neither a device path nor a clock type: use a path such as /dev/ptp_virtio_tai or one of {Alternatives(ConfigNames.TimeScales)}");
        return null;
    }

    private IReadOnlyList<ServedClock> ServedClocks()
    {
        var section = _config.GetSection("serve:clocks");
        IEnumerable<(string Key, string Text)> items = section.Value is { } single
            ? single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => ("serve:clocks", t))
            : section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue)
                .Select(c => ($"serve:clocks:{c.Key}", c.Value?.Trim() ?? ""));
        var list = items.ToList();
        if (list.Count == 0) return section.Exists() || section.Value is not null ? Empty("serve:clocks") : new ServeOptions().Clocks;

        var result = new List<ServedClock>();
        foreach (var (key, text) in list)
        {
            if (!TryChoice(text, ConfigNames.ServedClocks, out var clock))
                Add(key, text, $"is not allowed: use {Alternatives(ConfigNames.ServedClocks)}");
            else if (result.Contains(clock))
                Add(key, text, "is listed twice: name each clock once");
            else
                result.Add(clock);
        }
        return result;
    }

    private List<ServedClock> Empty(string key)
    {
        Add(key, "(empty)", $"lists no clock: use one or more of {Alternatives(ConfigNames.ServedClocks)}");
        return [];
    }

    private static string Format(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
