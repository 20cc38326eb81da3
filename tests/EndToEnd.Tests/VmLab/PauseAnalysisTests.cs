using System.Text;
using System.Text.Json;

namespace Sync.EndToEnd.Tests.VmLab;

/// <summary>
/// deploy/vmlab/pause.py on a made-up run that behaves as the lab does: the reference (host) time runs on while the
/// VM is paused from 59.95 to 69.95 s and from 149.95 to 269.95 s, the guest's clock and the probe stand still, and
/// the probe's seconds after a resume start 50 ms after `cont`. A guest 1 us off its reference comes back 10 s (then
/// 120 s) behind; the probe sees the jump at t 60 and 140 and the clock back within 50 us two and four probe seconds
/// later (one excursion to 80 us); the daemon's log has the two jump steps and a startup step.
/// </summary>
public sealed class PauseAnalysisTests : IDisposable
{
    private const long Base = 1_800_000_000;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pause-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static long Offset(int t) => t switch
    {
        60 => -10_000_000_000,
        61 => 30_000_000,       // slewing the rest: still off
        140 => -120_000_000_000,
        141 or 142 => 2_000_000,
        143 => 80_000,
        _ => 1_000,
    };

    /// <summary>The reference's time at the start of probe second t: the pauses' lengths are not probe seconds.</summary>
    private static double ReferenceTime(int t) => Base + t + (t >= 60 ? 10 : 0) + (t >= 140 ? 120 : 0);

    private string MakeRun(Func<int, long>? offset = null)
    {
        offset ??= Offset;
        Directory.CreateDirectory(Path.Combine(_dir, "out"));
        var probe = new StringBuilder("{\"probe\":\"/dev/ptp1\"}\n");
        for (var t = 0; t < 230; t++)
        {
            var wall = ReferenceTime(t) + offset(t) / 1e9;
            probe.Append(FormattableString.Invariant(
                $"{{\"t\":{t},\"wall\":{wall:F3},\"calls\":20,\"min_delay_ns\":9000,\"best_offset_ns\":{offset(t)},\"median_offset_ns\":{offset(t)}}}\n"));
        }
        File.WriteAllText(Path.Combine(_dir, "out", "reference.jsonl"), probe.ToString());
        File.WriteAllText(Path.Combine(_dir, "events.jsonl"),
            "{\"event\":\"stop\",\"host_wall\":1800000060.0,\"pause_s\":10,\"sent_wall\":1800000059.95}\n" +
            "{\"event\":\"cont\",\"host_wall\":1800000070.0,\"pause_s\":10,\"sent_wall\":1800000069.95}\n" +
            "{\"event\":\"stop\",\"host_wall\":1800000150.0,\"pause_s\":120,\"sent_wall\":1800000149.95}\n" +
            "{\"event\":\"cont\",\"host_wall\":1800000270.0,\"pause_s\":120,\"sent_wall\":1800000269.95}\n");
        File.WriteAllText(Path.Combine(_dir, "out", "virtsyncd-sync.log"),
            "warn: stepped the clock by -0.000040000 s (reason: startup)\n" +
            "warn: clock jump: the offset moved by -10.000000 s between two samples\n" +
            "warn: stepped the clock by +10.000123000 s (reason: jump)\n" +
            "warn: stepped the clock by +120.000456000 s (reason: jump)\n");
        return _dir;
    }

    private static (int Code, string Output, JsonDocument? Report) Analyze(string run)
    {
        var json = Path.Combine(run, "pause.json");
        var (code, output) = LabScripts.Python("pause.py", run, "--json", json);
        return (code, output, File.Exists(json) ? JsonDocument.Parse(File.ReadAllText(json)) : null);
    }

    [Fact]
    public void RecoveryIsTimedFromTheResumeOnTheReferenceTimeScale()
    {
        var (code, output, doc) = Analyze(MakeRun());
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        var pauses = doc!.RootElement.GetProperty("pauses");
        Assert.Equal(2, pauses.GetArrayLength());
        Assert.Equal(60, pauses[0].GetProperty("jump_second").GetInt32());
        Assert.Equal(-10.0, pauses[0].GetProperty("offset_at_jump_s").GetDouble(), 6);
        Assert.Equal(1800000069.95, pauses[0].GetProperty("resume_host_wall").GetDouble(), 3);
        Assert.Equal(0.05, pauses[0].GetProperty("first_probe_after_resume_s").GetDouble(), 3);
        // Back within 50 us from probe second 62, which starts 2.05 s of reference time after `cont` was sent.
        Assert.Equal(2.05, pauses[0].GetProperty("recovery_s").GetDouble(), 3);
        Assert.Equal(30_000.0, pauses[0].GetProperty("max_abs_error_after_resume_us").GetDouble());
        Assert.Equal(1.0, pauses[0].GetProperty("max_abs_error_after_recovery_us").GetDouble());
        Assert.Equal(140, pauses[1].GetProperty("jump_second").GetInt32());
        Assert.Equal(4.05, pauses[1].GetProperty("recovery_s").GetDouble(), 3);
        var steps = doc.RootElement.GetProperty("steps");
        Assert.Equal(3, steps.GetArrayLength());
        Assert.Equal("jump", steps[2].GetProperty("reason").GetString());
        Assert.All(doc.RootElement.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("ok").GetBoolean(), c.ToString()));
    }

    [Fact]
    public void RecoveryIsTimedFromTheResumeWhenTheDaemonStepsBeforeTheProbeSeesTheJump()
    {
        // The daemon stepped back within milliseconds: no probe second shows either jump, only the 30 ms left at 61.
        var (code, output, doc) = Analyze(MakeRun(t => t is 60 or 140 ? 1_000 : Offset(t)));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        var pauses = doc!.RootElement.GetProperty("pauses");
        Assert.Equal(JsonValueKind.Null, pauses[0].GetProperty("jump_second").ValueKind);
        Assert.Equal(60, pauses[0].GetProperty("resume_second").GetInt32());
        Assert.Equal(2.05, pauses[0].GetProperty("recovery_s").GetDouble(), 3);
        Assert.Equal(30_000.0, pauses[0].GetProperty("max_abs_error_after_resume_us").GetDouble());
        Assert.Equal(JsonValueKind.Null, pauses[1].GetProperty("jump_second").ValueKind);
        Assert.Equal(140, pauses[1].GetProperty("resume_second").GetInt32());
        Assert.Equal(4.05, pauses[1].GetProperty("recovery_s").GetDouble(), 3);
    }

    [Fact]
    public void APausesWindowEndsWhereTheNextPauseBegins()
    {
        // Slow back from the 10 s pause (2 ms until t 79), and the probe second that straddles the 120 s pause's
        // `stop` (t 139) holds samples from after that resume, before the daemon corrected it: -60 s. The first
        // pause's 60 s hold reaches it; it is the next pause's, not an error of this one.
        var (code, output, doc) = Analyze(MakeRun(t => t switch { >= 61 and <= 79 => 2_000_000, 139 => -60_000_000_000, _ => Offset(t) }));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        var pauses = doc!.RootElement.GetProperty("pauses");
        Assert.Equal(20.05, pauses[0].GetProperty("recovery_s").GetDouble(), 3);
        Assert.Equal(59, pauses[0].GetProperty("held_s").GetInt32());
        Assert.Equal(2_000.0, pauses[0].GetProperty("max_abs_error_after_resume_us").GetDouble());
        Assert.Equal(4.05, pauses[1].GetProperty("recovery_s").GetDouble(), 3);
        Assert.Equal(1, code); // 20 s is past the 5 s target
    }

    [Fact]
    public void ADaemonBackBeforeTheProbesFirstSecondIsTimedByThatSecond()
    {
        var (code, output, doc) = Analyze(MakeRun(_ => 1_000));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        var pauses = doc!.RootElement.GetProperty("pauses");
        Assert.Equal(0.05, pauses[0].GetProperty("recovery_s").GetDouble(), 3);
        Assert.Equal(0.05, pauses[1].GetProperty("recovery_s").GetDouble(), 3);
    }

    [Fact]
    public void AProbeSecondThatStartedBeforeTheStopTookEffectIsNotTheFirstAfterTheResume()
    {
        // Lab 06:49 (load 40): QMP answered `stop` 0.8 s after it was sent; the probe second that started in between
        // straddled the stop and was taken as the first after the resume: "recovered" 120 s before the resume.
        var run = MakeRun(_ => 1_000);
        File.WriteAllText(Path.Combine(run, "events.jsonl"),
            "{\"event\":\"stop\",\"host_wall\":1800000060.0,\"pause_s\":10,\"sent_wall\":1800000058.9}\n" +
            "{\"event\":\"cont\",\"host_wall\":1800000070.0,\"pause_s\":10,\"sent_wall\":1800000069.95}\n" +
            "{\"event\":\"stop\",\"host_wall\":1800000150.0,\"pause_s\":120,\"sent_wall\":1800000148.9}\n" +
            "{\"event\":\"cont\",\"host_wall\":1800000270.0,\"pause_s\":120,\"sent_wall\":1800000269.95}\n");
        var (code, output, doc) = Analyze(run);
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        foreach (var pause in doc!.RootElement.GetProperty("pauses").EnumerateArray())
        {
            Assert.Equal(0.05, pause.GetProperty("first_probe_after_resume_s").GetDouble(), 3);
            Assert.Equal(0.05, pause.GetProperty("recovery_s").GetDouble(), 3);
        }
    }

    [Fact]
    public void AFirstSecondTheDaemonsStepFellIntoIsLeftOut()
    {
        // Lab snapshot r4 (13:09): the first probe second after the resume started on the guest's clock as it came back
        // (behind by the pause) and the daemon stepped within it, so its median is from after the step: wall - median
        // dates it 10 s (120 s) before the resume, and best and median look within 50 us though its first calls were
        // the pause's offset. It must not count as recovered (before: "recovered 0 s", "first probe -9.95 s").
        var run = MakeRun(_ => 1_000);
        var probe = Path.Combine(run, "out", "reference.jsonl");
        var lines = File.ReadAllLines(probe).Select(line =>
        {
            var pause = line.StartsWith("{\"t\":60,", StringComparison.Ordinal) ? 10 : line.StartsWith("{\"t\":140,", StringComparison.Ordinal) ? 120 : 0;
            if (pause == 0) return line;
            var row = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line)!;
            var wall = row["wall"].GetDouble() - pause;
            return line.Replace(FormattableString.Invariant($"\"wall\":{row["wall"].GetDouble():F3}"), FormattableString.Invariant($"\"wall\":{wall:F3}"));
        }).ToArray();
        File.WriteAllLines(probe, lines);
        var (code, output, doc) = Analyze(run);
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        var pauses = doc!.RootElement.GetProperty("pauses");
        Assert.Equal(60, pauses[0].GetProperty("straddled_second").GetInt32());
        Assert.Equal(140, pauses[1].GetProperty("straddled_second").GetInt32());
        foreach (var pause in pauses.EnumerateArray())
        {
            // Timed by the next second, which starts 1.05 s after `cont` was sent.
            Assert.Equal(1.05, pause.GetProperty("first_probe_after_resume_s").GetDouble(), 3);
            Assert.Equal(1.05, pause.GetProperty("recovery_s").GetDouble(), 3);
        }
    }

    [Fact]
    public void RecoveryLongerThanFiveSecondsAfterTheResumeFailsTheVerdict()
    {
        // Back within 50 us only at probe second 66: 6.05 s after the 10 s pause's resume.
        var (code, output, doc) = Analyze(MakeRun(t => t is >= 61 and <= 65 ? 2_000_000 : Offset(t)));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.Equal(1, code);
        Assert.Equal(6.05, doc!.RootElement.GetProperty("pauses")[0].GetProperty("recovery_s").GetDouble(), 3);
        var failed = doc.RootElement.GetProperty("checks").EnumerateArray().Where(c => !c.GetProperty("ok").GetBoolean())
            .Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Equal(["pause 10 s: back within 50 us (and for 60 s) in <= 5 s after the resume"], failed);
    }

    [Fact]
    public void ABackwardJumpStepFailsTheVerdict()
    {
        var run = MakeRun();
        var log = Path.Combine(run, "out", "virtsyncd-sync.log");
        File.WriteAllText(log, File.ReadAllText(log).Replace("+10.000123000", "-10.000123000"));
        var (code, output, _) = Analyze(run);
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.Equal(1, code);
        Assert.Contains("no step backwards except at start-up", output);
    }

    [Fact]
    public void ASecondStepAfterAPauseFailsTheVerdict()
    {
        var run = MakeRun();
        File.AppendAllText(Path.Combine(run, "out", "virtsyncd-sync.log"), "warn: stepped the clock by +0.002000000 s (reason: discontinuity)\n");
        var (code, output) = LabScripts.Python("pause.py", run);
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.Equal(1, code);
        Assert.Contains("no other steps after start-up", output);
    }
}
