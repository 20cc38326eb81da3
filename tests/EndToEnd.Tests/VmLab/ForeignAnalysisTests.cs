using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sync.EndToEnd.Tests.VmLab;

/// <summary>
/// deploy/vmlab/foreign.py on a made-up run: virtsync steers (the kernel's frequency moves with each write), chronyd
/// starts at 60 s and stops at 120 s (its writes move the frequency too), virtsync logs the detection 3.2 s after
/// chronyd's start and `steering again` 30.5 s after its stop; from chronyd's exit to that resume the kernel state stands
/// still. Guest wall time 1800000000 is 08:00:00 UTC, the stamp on virtsync's log lines.
/// </summary>
public sealed class ForeignAnalysisTests : IDisposable
{
    private const long W0 = 1_800_000_000;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "foreign-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Stamp(double t) => TimeSpan.FromSeconds(8 * 3600 + t).ToString(@"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);

    /// <summary>Kernel frequency at t: every writer's write moves it; nobody writes from 121 s to the resume.</summary>
    private static double Frequency(double t, double resumeAt) => t switch
    {
        < 60 => 12.0 + 0.001 * Math.Floor(t),          // virtsync
        < 121 => 15.0 + 0.01 * Math.Floor(t),          // chronyd (and its exit)
        _ when t < resumeAt => 16.21,                  // left alone
        _ => 16.21 + 0.001 * Math.Floor(t - resumeAt + 1), // virtsync again
    };

    private string MakeRun(double detectAt = 63.2, double resumeAt = 150.5, Func<double, double, double>? frequency = null)
    {
        frequency ??= Frequency;
        var inv = CultureInfo.InvariantCulture;
        var outDir = Path.Combine(_dir, "out");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "events.jsonl"),
            $"{{\"event\":\"virtsync_start\",\"guest_wall\":{W0}.0}}\n{{\"event\":\"chrony_start\",\"guest_wall\":{W0 + 60}.0}}\n" +
            $"{{\"event\":\"chrony_stop\",\"guest_wall\":{W0 + 120}.0}}\n{{\"event\":\"end\",\"guest_wall\":{W0 + 200}.0}}\n");
        var timex = new StringBuilder();
        for (var t = 0.0; t < 200; t += 0.5)
            timex.Append(string.Create(inv, $"{{\"state\":0,\"status\":8192,\"freq_ppm\":{frequency(t, resumeAt):F6},\"offset\":0,\"maxerror_us\":100,\"esterror_us\":1,\"constant\":0,\"tick\":10000,\"tai\":37,\"time\":{W0 + t:F9}}}\n"));
        File.WriteAllText(Path.Combine(outDir, "timex.jsonl"), timex.ToString());
        var probe = new StringBuilder();
        for (var t = 0; t < 200; t++)
            probe.Append(string.Create(inv, $"{{\"t\":{t},\"wall\":{W0 + t}.000,\"calls\":20,\"min_delay_ns\":9000,\"best_offset_ns\":1000,\"median_offset_ns\":2000}}\n"));
        File.WriteAllText(Path.Combine(outDir, "reference.jsonl"), probe.ToString());
        File.WriteAllText(Path.Combine(outDir, "virtsyncd-sync.log"),
            $"{Stamp(5.1)} warn: Sync.Daemon.Pipeline.StepReporter[1] stepped the clock by -0.000034093 s (reason: startup)\n" +
            $"{Stamp(detectAt)} warn: Sync.Daemon.Pipeline.SyncService[2] another program is steering the system clock (frequency 12.06 -> 15.6 ppm): stopped steering until it has left the clock alone for 30 s (stop chronyd/ntpd/timesyncd, or use virtsyncd-chrony.service)\n" +
            $"{Stamp(resumeAt)} warn: Sync.Daemon.Pipeline.SyncService[3] the clock has been left alone for 30 s: steering again, starting over\n");
        return _dir;
    }

    private static (int Code, string Output, JsonDocument? Report) Analyze(string run)
    {
        var json = Path.Combine(run, "foreign.json");
        var (code, output) = LabScripts.Python("foreign.py", run, "--json", json);
        return (code, output, File.Exists(json) ? JsonDocument.Parse(File.ReadAllText(json)) : null);
    }

    private static List<string?> Failed(JsonDocument doc) => doc.RootElement.GetProperty("checks").EnumerateArray()
        .Where(c => !c.GetProperty("ok").GetBoolean()).Select(c => c.GetProperty("name").GetString()).ToList();

    [Fact]
    public void DetectionHandsOffAndResumeComeOutAsMadeUp()
    {
        var (code, output, doc) = Analyze(MakeRun());
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        var r = doc!.RootElement;
        Assert.Equal(3.2, r.GetProperty("detection_s").GetDouble(), 3);
        Assert.Equal(30.5, r.GetProperty("resumed_after_stop_s").GetDouble(), 3);
        Assert.True(r.GetProperty("chronyd_changed_state").GetBoolean());
        Assert.Equal(0, r.GetProperty("quiet_state_changes").GetInt32());
        Assert.True(r.GetProperty("quiet_reads").GetInt32() >= 55, output);
        Assert.True(r.GetProperty("state_changes_after_resume").GetInt32() > 0);
        Assert.Equal(2.0, r.GetProperty("reference_last_10_s_max_abs_us").GetDouble());
        Assert.Empty(Failed(doc));
    }

    [Fact]
    public void AWriteWhileYieldingFailsTheVerdict()
    {
        // Something (virtsync, were it not yielding) writes the frequency at 140 s, 20 s after chronyd's exit.
        var (code, _, doc) = Analyze(MakeRun(frequency: (t, resume) => t is >= 140 and < 141 ? 16.3 : Frequency(t, resume)));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.Equal(1, code);
        Assert.Equal(2, doc!.RootElement.GetProperty("quiet_state_changes").GetInt32());
        Assert.Equal(["foreign: nothing wrote the clock from chronyd's exit to virtsync's resume (kernel state unchanged, no step)"], Failed(doc));
    }

    [Fact]
    public void ResumingWhileChronydStillRunsFailsTheVerdict()
    {
        var (code, _, doc) = Analyze(MakeRun(resumeAt: 100));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.Equal(1, code);
        Assert.Contains("foreign: resumed only after chronyd was gone", Failed(doc!));
    }

    [Fact]
    public void DetectionLaterThanTenSecondsFailsTheVerdict()
    {
        var (code, _, doc) = Analyze(MakeRun(detectAt: 71));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.Equal(1, code);
        Assert.Equal(11.0, doc!.RootElement.GetProperty("detection_s").GetDouble(), 3);
        Assert.Equal(["foreign: virtsync detected chronyd within 10 s of its start"], Failed(doc));
    }
}
