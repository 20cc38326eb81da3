using Sync.Clock.Linux;
using Sync.Filters.Engine;
using Sync.Daemon.Cli;
using Sync.Daemon.Configuration;
using Sync.Daemon.Modes;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private ConfigurationLoadResult Load(string json = "{}", Dictionary<string, string?>? env = null, params (string Key, string Value)[] overrides)
    {
        var path = _dir.File("virtsync.json");
        File.WriteAllText(path, json);
        return ConfigurationLoader.Load(new ConfigurationInputs
        {
            ConfigPath = path,
            Environment = env ?? new Dictionary<string, string?>(),
            Overrides = overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)).ToList(),
        });
    }

    [Fact]
    public void EmptyFileGivesDocumentedDefaults()
    {
        var o = Load().Options!;
        Assert.Empty(o.Sources.Clocks);
        Assert.Equal(0.25, o.Sources.ReadIntervalSeconds);
        Assert.Equal(2000, o.Sources.ReadTimeoutMs);
        Assert.Equal(9, o.Sources.SamplesPerReading);
        Assert.Equal(SampleFilterKind.DelayBand, o.Sources.Filter);
        Assert.Equal(EstimatorKind.Kalman, o.Sources.Estimator);
        Assert.Equal(0.00002, o.Discipline.MakestepThresholdSeconds);
        Assert.Equal(3, o.Discipline.MakestepLimit);
        Assert.Equal(83_333, o.Discipline.MaxSlewRatePpm);
        Assert.Equal(LeapPolicy.Kernel, o.Discipline.LeapPolicy);
        Assert.True(o.Discipline.WriteEnabled);
        Assert.Equal(30, o.Discipline.ForeignWriterQuietSeconds);
        Assert.Equal("/run/virtsync/vhost-rtc.sock", o.Serve.SocketPath);
        Assert.Equal("/run/virtsync/serve-state", o.Serve.StateDirectory);
        Assert.Equal([ServedClock.Host(ClockScale.Utc), ServedClock.Host(ClockScale.Tai), ServedClock.Host(ClockScale.Monotonic), ServedClock.Host(ClockScale.UtcSmearedNoonLinear)], o.Serve.Clocks);
        Assert.True(o.Serve.AlarmsEnabled);
        Assert.Equal("127.0.0.1", o.Metrics.Host);
        Assert.Equal(10123, o.Metrics.Port);
        Assert.True(o.Metrics.Enabled);
        Assert.Equal("/run/virtsync/status.sock", o.Status.SocketPath);
        Assert.False(o.Chrony.Enabled);
        Assert.Equal("/run/chrony/virtsync.sock", o.Chrony.SocketPath);
        Assert.Equal(30, o.Systemd.ReadyTimeoutSeconds);
        Assert.True(o.MaySteerClock);
    }

    [Fact]
    public void EveryKeyIsReadFromTheFileWithCommentsAndTrailingCommas()
    {
        var o = Load("""
            // comment at the top
            {
              "sources": {
                "clocks": [ "/dev/ptp_virtio_tai", "utc", { "clockName": "Virtio PTP type 2/variant 0" }, { "type": "utc-smeared" }, ],
                "readIntervalSeconds": 0.5, /* inline */
                "readTimeoutMs": 750,
                "samplesPerReading": 25,
                "filter": "fastest",
                "estimator": "kalman"
              },
              "discipline": { "makestepThresholdSeconds": 0.1, "makestepLimit": -1, "maxSlewRatePpm": 83333, "leapPolicy": "follow-smear", "writeEnabled": false, "foreignWriterQuietSeconds": 12.5 },
              "serve": { "socketPath": "/tmp/v.sock", "stateDirectory": "/var/lib/virtsync/serve", "clocks": ["tai", "simulated", "utc-maybe-smeared"], "smearVariant": "sls", "alarms": false },
              "metrics": { "enabled": false, "listen": "[::1]:9999" },
              "status": { "enabled": false, "socketPath": "/tmp/s.sock" },
              "systemd": { "readyTimeoutSeconds": 5, "statusIntervalSeconds": 0 },
              "logging": { "level": "debug", "format": "json" },
              "chrony": { "enabled": true, "socketPath": "/run/chrony/x.sock" },
            }
            """).Options!;
        Assert.Equal([ClockSelector.ByPath("/dev/ptp_virtio_tai"), ClockSelector.ByKeyword(ClockSelectorKeyword.Utc),
            ClockSelector.ByClockName("Virtio PTP type 2/variant 0"), ClockSelector.ByKeyword(ClockSelectorKeyword.UtcSmeared)], o.Sources.Clocks);
        Assert.Equal(0.5, o.Sources.ReadIntervalSeconds);
        Assert.Equal(750, o.Sources.ReadTimeoutMs);
        Assert.Equal(25, o.Sources.SamplesPerReading);
        Assert.Equal(SampleFilterKind.Fastest, o.Sources.Filter);
        Assert.Equal(EstimatorKind.Kalman, o.Sources.Estimator);
        Assert.Equal(0.1, o.Discipline.MakestepThresholdSeconds);
        Assert.Equal(-1, o.Discipline.MakestepLimit);
        Assert.Equal(83333, o.Discipline.MaxSlewRatePpm);
        Assert.Equal(LeapPolicy.FollowSmear, o.Discipline.LeapPolicy);
        Assert.False(o.Discipline.WriteEnabled);
        Assert.Equal(12.5, o.Discipline.ForeignWriterQuietSeconds);
        Assert.Equal("/tmp/v.sock", o.Serve.SocketPath);
        Assert.Equal("/var/lib/virtsync/serve", o.Serve.StateDirectory);
        Assert.Equal([ServedClock.Host(ClockScale.Tai), ServedClock.SimulatedConfigured, ServedClock.Host(ClockScale.UtcMaybeSmeared)], o.Serve.Clocks);
        Assert.Equal(SmearVariant.UtcSls, o.Serve.MaybeSmearedVariant);
        Assert.False(o.Serve.AlarmsEnabled);
        Assert.False(o.Metrics.Enabled);
        Assert.Equal("::1", o.Metrics.Host);
        Assert.Equal(9999, o.Metrics.Port);
        Assert.False(o.Status.Enabled);
        Assert.Equal("/tmp/s.sock", o.Status.SocketPath);
        Assert.Equal(5, o.Systemd.ReadyTimeoutSeconds);
        Assert.Equal(0, o.Systemd.StatusIntervalSeconds);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, o.Logging.Level);
        Assert.Equal(LogFormat.Json, o.Logging.Format);
        Assert.True(o.Chrony.Enabled);
        Assert.Equal("/run/chrony/x.sock", o.Chrony.SocketPath);
        Assert.False(o.MaySteerClock);
    }

    [Theory]
    [InlineData("sources:readIntervalSeconds", "0", "sources:readIntervalSeconds = 0 is out of range: use 0.01..3600")]
    [InlineData("sources:readIntervalSeconds", "fast", "sources:readIntervalSeconds = fast is not a number: use 0.01..3600")]
    [InlineData("sources:readIntervalSeconds", "NaN", "sources:readIntervalSeconds = NaN is not a number: use 0.01..3600")]
    [InlineData("sources:readTimeoutMs", "0", "sources:readTimeoutMs = 0 is out of range: use 10..60000")]
    [InlineData("sources:readTimeoutMs", "120000", "sources:readTimeoutMs = 120000 is out of range: use 10..60000")]
    [InlineData("sources:readTimeoutMs", "2s", "sources:readTimeoutMs = 2s is not a whole number: use 10..60000")]
    [InlineData("sources:samplesPerReading", "40", "sources:samplesPerReading = 40 is out of range: use 1..25")]
    [InlineData("sources:samplesPerReading", "0", "sources:samplesPerReading = 0 is out of range: use 1..25")]
    [InlineData("sources:leapSecondsFile", "leap-seconds.list", "sources:leapSecondsFile = leap-seconds.list is not an absolute path: use a path starting with /")]
    [InlineData("sources:samplesPerReading", "2.5", "sources:samplesPerReading = 2.5 is not a whole number: use 1..25")]
    [InlineData("sources:filter", "median", "sources:filter = median is not allowed: use delay-band, fastest or delay-corrected")]
    [InlineData("sources:estimator", "pll", "sources:estimator = pll is not allowed: use regression or kalman")]
    [InlineData("sources:clocks:0", "ptp", "sources:clocks:0 = ptp is neither a device path, ptpN nor a clock type")]
    [InlineData("sources:clocks:0", "utc-smeered", "(did you mean utc-smeared?)")]
    [InlineData("sources:clocks:0:type", "gps", "sources:clocks:0:type = gps is not allowed: use tai, utc, utc-smeared, utc-smeared-noon, utc-smeared-sls, utc-smeared-unspecified, utc-maybe-smeared, monotonic, kvm, vmclock or vmware")]
    [InlineData("sources:clocks:0:path", "dev/ptp0", "sources:clocks:0:path = dev/ptp0 is not an absolute path")]
    [InlineData("discipline:makestepThresholdSeconds", "-1", "discipline:makestepThresholdSeconds = -1 is out of range")]
    [InlineData("discipline:foreignWriterQuietSeconds", "0", "discipline:foreignWriterQuietSeconds = 0 is out of range: use 1..86400")]
    [InlineData("discipline:makestepLimit", "-2", "discipline:makestepLimit = -2 is out of range: use -1..1000000")]
    [InlineData("discipline:maxSlewRatePpm", "200000", "discipline:maxSlewRatePpm = 200000 is out of range: use 1..100500")]
    [InlineData("discipline:leapPolicy", "smear", "discipline:leapPolicy = smear is not allowed: use kernel, slew or follow-smear")]
    [InlineData("discipline:writeEnabled", "yes", "discipline:writeEnabled = yes is not allowed: use true or false")]
    [InlineData("serve:socketPath", "vhost.sock", "serve:socketPath = vhost.sock is not an absolute path: use a path starting with /")]
    [InlineData("serve:stateDirectory", "state", "serve:stateDirectory = state is not an absolute path: use a directory path starting with /, e.g. /run/virtsync/serve-state")]
    [InlineData("serve:stateDirectory", "", "serve:stateDirectory = (empty) is not an absolute path")]
    [InlineData("serve:clocks", "utc,gps", "serve:clocks = gps is not allowed: use utc, tai, monotonic, utc-smeared-noon, utc-smeared-sls, utc-maybe-smeared, simulated, simulated-utc, simulated-tai, simulated-smeared-noon or simulated-smeared-sls")]
    [InlineData("serve:clocks", "utc,utc", "serve:clocks = utc is listed twice")]
    [InlineData("serve:clocks", "", "serve:clocks = (empty) lists nothing: use one or more of utc, tai")]
    [InlineData("serve:smearVariant", "linear", "serve:smearVariant = linear is not allowed: use none, noon or sls")]
    [InlineData("serve:alarms", "on", "serve:alarms = on is not allowed: use true or false")]
    [InlineData("metrics:enabled", "1", "metrics:enabled = 1 is not allowed: use true or false")]
    [InlineData("metrics:listen", "127.0.0.1", "metrics:listen = 127.0.0.1 is not HOST:PORT")]
    [InlineData("metrics:listen", "127.0.0.1:0", "metrics:listen = 127.0.0.1:0 has a bad port '0': use a port in 1..65535")]
    [InlineData("metrics:listen", "example.org:80", "metrics:listen = example.org:80 has a bad host 'example.org'")]
    [InlineData("metrics:listen", "::1:80", "metrics:listen = ::1:80 has an IPv6 address without brackets")]
    [InlineData("status:enabled", "maybe", "status:enabled = maybe is not allowed: use true or false")]
    [InlineData("status:socketPath", "/run/virtsync/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock", "is too long for a Unix socket: use at most 107 bytes")]
    [InlineData("systemd:readyTimeoutSeconds", "-5", "systemd:readyTimeoutSeconds = -5 is out of range: use 0..86400")]
    [InlineData("systemd:statusIntervalSeconds", "x", "systemd:statusIntervalSeconds = x is not a number: use 0..3600")]
    [InlineData("logging:level", "verbose", "logging:level = verbose is not allowed: use trace, debug, information, warning, error, critical or none")]
    [InlineData("logging:format", "xml", "logging:format = xml is not allowed: use auto, systemd, simple, json or journal")]
    [InlineData("chrony:enabled", "sometimes", "chrony:enabled = sometimes is not allowed: use true or false")]
    [InlineData("chrony:socketPath", "chrony.sock", "chrony:socketPath = chrony.sock is not an absolute path")]
    [InlineData("sources:readInterval", "1", "sources:readInterval: is not a known key: did you mean sources:readIntervalSeconds? (the sources keys are sources:clocks, sources:readIntervalSeconds")]
    [InlineData("sourcez:x", "1", "sourcez:x: is not a known key: use one of the keys in docs/operations.md; sections are sources, discipline")]
    public void BadValueNamesKeyValueAndWhatIsAllowed(string key, string value, string expected)
    {
        var result = Load("{}", null, (key, value));
        Assert.False(result.IsValid);
        Assert.Null(result.Options);
        var error = Assert.Single(result.Errors);
        Assert.Contains(expected, error.ToString());
    }

    [Fact]
    public void SelectorNeedsExactlyOneWayToFindTheClock()
    {
        var result = Load("""{ "sources": { "clocks": [ { "path": "/dev/ptp0", "type": "tai" } ] } }""");
        Assert.Contains("sources:clocks:0: needs exactly one of path, clockName or type", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void AllErrorsAreReportedTogether()
    {
        var result = Load("""{ "sources": { "samplesPerReading": 99, "filter": "x" }, "metrics": { "listen": "nope" } }""");
        Assert.Equal(3, result.Errors.Count);
    }

    [Fact]
    public void EnvironmentOverridesFileAndCommandLineOverridesEnvironment()
    {
        var env = new Dictionary<string, string?>
        {
            ["VIRTSYNC__SOURCES__READINTERVALSECONDS"] = "0.5",
            ["VIRTSYNC__SOURCES__SAMPLESPERREADING"] = "12",
            ["VIRTSYNC__SERVE__CLOCKS"] = "utc,tai",
            ["UNRELATED__SOURCES__FILTER"] = "bogus",
        };
        var o = Load("""{ "sources": { "readIntervalSeconds": 1, "samplesPerReading": 3 } }""", env, ("sources:samplesPerReading", "20")).Options!;
        Assert.Equal(0.5, o.Sources.ReadIntervalSeconds);
        Assert.Equal(20, o.Sources.SamplesPerReading);
        Assert.Equal([ServedClock.Host(ClockScale.Utc), ServedClock.Host(ClockScale.Tai)], o.Serve.Clocks);
    }

    [Fact]
    public void BadEnvironmentValueIsReportedUnderItsKey()
    {
        var result = Load("{}", new Dictionary<string, string?> { ["VIRTSYNC__DISCIPLINE__LEAPPOLICY"] = "ignore" });
        Assert.Contains("DISCIPLINE:LEAPPOLICY = ignore is not allowed", Assert.Single(result.Errors).ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void MissingExplicitConfigFileIsAnError()
    {
        var result = ConfigurationLoader.Load(new ConfigurationInputs { ConfigPath = _dir.File("absent.json") });
        Assert.Contains("does not exist", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void BrokenJsonNamesTheLine()
    {
        var result = Load("{\n  \"sources\": { \"filter\": \"fastest\" \n}");
        Assert.Contains("is not valid JSON (line", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void DryRunAndChronyStopClockSteering()
    {
        var path = _dir.File("c.json");
        File.WriteAllText(path, "{}");
        var dry = ConfigurationLoader.Load(new ConfigurationInputs { ConfigPath = path, DryRun = true }).Options!;
        Assert.True(dry.DryRun);
        Assert.False(dry.MaySteerClock);
    }

    [Fact]
    public void ShippedExampleConfigurationIsValid()
    {
        var example = Path.Combine(RepoRoot(), "deploy", "virtsync.json");
        var result = ConfigurationLoader.Load(new ConfigurationInputs { ConfigPath = example });
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.NotEmpty(result.Options!.Sources.Clocks);
    }

    [Fact]
    public void BadConfigurationExitsWith78AndPrintsTheMessage()
    {
        var path = _dir.File("bad.json");
        File.WriteAllText(path, """{ "sources": { "samplesPerReading": 40 } }""");
        var err = new StringWriter();
        int code = CommandLine.Run(["sync", "--config", path], new StringWriter(), err);
        Assert.Equal(ExitCodes.ConfigError, code);
        Assert.Contains("sources:samplesPerReading = 40 is out of range: use 1..25", err.ToString());
    }

    [Fact]
    public void MetricsFlagBecomesMetricsListen()
    {
        Assert.True(CommandArguments.TryParse("sync", ["--metrics", "127.0.0.1:9001", "--config", _dir.File("x.json")], false, out var args, out _));
        File.WriteAllText(_dir.File("x.json"), "{}");
        Assert.True(ModeConfiguration.TryLoad(args, new StringWriter(), out var o, out _, new Dictionary<string, string?>()));
        Assert.Equal(9001, o.Metrics.Port);
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sync.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
