using System.Text;
using System.Text.Json;

namespace Sync.EndToEnd.Tests.VmLab;

/// <summary>
/// deploy/vmlab/systemdlab.py on a made-up `systemd` run: the daemon starts at 118 s, makes its first reading at
/// 120.5 s and the unit is active at 120.6 s; SIGSTOP at 140 s, systemd's watchdog fires 30 s later, the next daemon
/// reads at 177 s; SIGKILL at 190 s, the next one reads at 197 s. The restarted daemons step 25 and 30 us (startup).
/// </summary>
public sealed class SystemdAnalysisTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "systemdlab-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Daemon(string invocation, double at, int priority, string message, bool fields = true) =>
        JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["_PID"] = invocation == "a" ? "300" : invocation == "b" ? "400" : "500",
            ["_COMM"] = "virtsyncd",
            ["SYSLOG_IDENTIFIER"] = "virtsyncd",
            ["PRIORITY"] = priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MESSAGE"] = message,
            ["__MONOTONIC_TIMESTAMP"] = ((long)(at * 1e6)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["_SYSTEMD_INVOCATION_ID"] = invocation,
        }.Concat(fields ? [new("VIRTSYNC_CATEGORY", "Sync.Daemon.Pipeline.SyncService")] : Array.Empty<KeyValuePair<string, string>>())
            .ToDictionary());

    private static string Manager(double at, string message) =>
        JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["_PID"] = "1",
            ["_COMM"] = "systemd",
            ["SYSLOG_IDENTIFIER"] = "systemd",
            ["PRIORITY"] = "6",
            ["MESSAGE"] = message,
            ["__MONOTONIC_TIMESTAMP"] = ((long)(at * 1e6)).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    private string MakeRun(double activeEnter = 120.6, double restartStep = 0.000025, bool fields = true, double startedEntry = 120.6)
    {
        var dir = Path.Combine(_dir, "out", "systemd");
        Directory.CreateDirectory(dir);
        var journal = new StringBuilder();
        foreach (var line in new[]
        {
            Daemon("a", 118.9, 6, "sync started with /dev/ptp0 (Virtio PTP type 0/variant 0, utc); steering the clock: True", fields),
            Daemon("a", 120.4, 4, "stepped the clock by -0.000040000 s (reason: startup)", fields),
            Daemon("a", 120.5, 6, "READY: first estimate from /dev/ptp0: offset -40.000 us", fields),
            Manager(startedEntry, "Started virtsyncd.service - virtsync: system clock from virtio-rtc."),
            Manager(170.0, "virtsyncd.service: Watchdog timeout (limit 30s)!"),
            Manager(170.1, "virtsyncd.service: Killing process 300 (virtsyncd) with signal SIGABRT."),
            Manager(170.5, "virtsyncd.service: Failed with result 'watchdog'."),
            Daemon("b", 176.9, 4, $"stepped the clock by +{restartStep:0.000000000} s (reason: startup)", fields),
            Daemon("b", 177.0, 6, "READY: first estimate from /dev/ptp0: offset 25.000 us", fields),
            Daemon("c", 196.9, 4, "stepped the clock by +0.000030000 s (reason: startup)", fields),
            Daemon("c", 197.0, 6, "READY: first estimate from /dev/ptp0: offset 30.000 us", fields),
        })
            journal.Append(line).Append('\n');
        File.WriteAllText(Path.Combine(dir, "journal-virtsyncd.json"), journal.ToString());
        File.WriteAllText(Path.Combine(dir, "events.txt"),
            "140.00 SIGSTOP 300 (WatchdogUSec 30s, NRestarts 0)\n177.50 after SIGSTOP: MainPID 400, active, NRestarts 1\n" +
            "190.00 SIGKILL 400\n197.50 after SIGKILL: MainPID 500, active, NRestarts 2\n");
        File.WriteAllText(Path.Combine(dir, "show-after-start.txt"),
            $"ExecMainStartTimestampMonotonic=118000000\nActiveEnterTimestampMonotonic={(long)(activeEnter * 1e6)}\nWatchdogUSec=30s\n" +
            "StatusText=tracking /dev/ptp0: offset -40us, bound 60us\n");
        return _dir;
    }

    private static (int Code, JsonElement Report) Analyze(string run)
    {
        var json = Path.Combine(run, "systemd.json");
        var (code, output) = LabScripts.Python("systemdlab.py", run, "--json", json);
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(File.Exists(json), output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        return (code, doc.RootElement.Clone());
    }

    private static bool Check(JsonElement report, string prefix) =>
        report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString()!.StartsWith(prefix, StringComparison.Ordinal))
            .GetProperty("ok").GetBoolean();

    [Fact]
    public void ReadinessWatchdogAndRestartsComeOutAsMadeUp()
    {
        var (code, r) = Analyze(MakeRun());
        Assert.Equal(0, code);
        var readiness = r.GetProperty("readiness");
        Assert.Equal(2.5, readiness.GetProperty("first_reading_after_start_s").GetDouble(), 3);
        Assert.Equal(2.6, readiness.GetProperty("active_after_start_s").GetDouble(), 3);
        var watchdog = r.GetProperty("watchdog");
        Assert.Equal(30.0, watchdog.GetProperty("timeout_after_s").GetDouble(), 3);
        Assert.Equal(37.0, watchdog.GetProperty("reading_again_after_s").GetDouble(), 3);
        Assert.True(watchdog.GetProperty("result_watchdog").GetBoolean());
        Assert.Equal(7.0, r.GetProperty("sigkill").GetProperty("reading_again_after_s").GetDouble(), 3);
        var restarts = r.GetProperty("restarts");
        Assert.Equal(3, restarts.GetArrayLength());
        Assert.Equal(0.000025, restarts[1].GetProperty("steps")[0].GetProperty("step_s").GetDouble(), 9);
        var journal = r.GetProperty("journal");
        Assert.Equal(7, journal.GetProperty("daemon_entries").GetInt32());
        Assert.Equal(["4", "6"], journal.GetProperty("priorities").EnumerateArray().Select(p => p.GetString()!));
        Assert.All(r.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("ok").GetBoolean(), c.ToString()));
    }

    [Fact]
    public void AUnitStartedBeforeTheSyncLoopFailsReadiness()
    {
        var (code, r) = Analyze(MakeRun(startedEntry: 118.5));
        Assert.Equal(1, code);
        Assert.False(Check(r, "readiness: activating"));
        Assert.True(Check(r, "watchdog: systemd's timeout"));
    }

    [Fact]
    public void READYBeforeTheStartupStepFailsTheTimeSyncCheck()
    {
        // Seen in the lab (systemd 252): systemd's "Started" 0.57 s before the daemon stepped the clock by 2.7 s.
        var (code, r) = Analyze(MakeRun(startedEntry: 120.0));
        Assert.Equal(1, code);
        Assert.True(Check(r, "readiness: activating"));
        Assert.False(Check(r, "readiness: the startup step came before READY=1"));
    }

    [Fact]
    public void ARestartedDaemonSteppingMilliSecondsFails()
    {
        var (code, r) = Analyze(MakeRun(restartStep: 0.005));
        Assert.Equal(1, code);
        Assert.False(Check(r, "restarts:"));
    }

    [Fact]
    public void StreamOnlyLogsLackTheStructuredFields()
    {
        var (code, r) = Analyze(MakeRun(fields: false));
        Assert.Equal(1, code);
        Assert.False(Check(r, "journal: structured fields"));
        Assert.True(Check(r, "journal: every entry has a PRIORITY"));
    }
}
