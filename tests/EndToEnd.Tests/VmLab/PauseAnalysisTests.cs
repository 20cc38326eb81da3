using System.Text;
using System.Text.Json;

namespace Sync.EndToEnd.Tests.VmLab;

/// <summary>
/// deploy/vmlab/pause.py on a made-up run: a guest 1 us off its reference pauses for 10 s (back within 50 us two
/// probe seconds later) and for 120 s (back four seconds later, one excursion to 80 us); the daemon's log has the two
/// jump steps and a startup step.
/// </summary>
public sealed class PauseAnalysisTests : IDisposable
{
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

    private string MakeRun()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "out"));
        var probe = new StringBuilder("{\"probe\":\"/dev/ptp1\"}\n");
        for (var t = 0; t < 230; t++)
            probe.Append($"{{\"t\":{t},\"wall\":{1_800_000_000 + t}.000,\"calls\":20,\"min_delay_ns\":9000,\"best_offset_ns\":{Offset(t)},\"median_offset_ns\":{Offset(t)}}}\n");
        File.WriteAllText(Path.Combine(_dir, "out", "reference.jsonl"), probe.ToString());
        File.WriteAllText(Path.Combine(_dir, "events.jsonl"),
            "{\"event\":\"stop\",\"host_wall\":1800000059.5,\"pause_s\":10}\n{\"event\":\"cont\",\"host_wall\":1800000069.5,\"pause_s\":10}\n" +
            "{\"event\":\"stop\",\"host_wall\":1800000139.5,\"pause_s\":120}\n{\"event\":\"cont\",\"host_wall\":1800000259.5,\"pause_s\":120}\n");
        File.WriteAllText(Path.Combine(_dir, "out", "virtsyncd-sync.log"),
            "warn: stepped the clock by -0.000040000 s (reason: startup)\n" +
            "warn: clock jump: the offset moved by -10.000000 s between two samples\n" +
            "warn: stepped the clock by +10.000123000 s (reason: jump)\n" +
            "warn: stepped the clock by +120.000456000 s (reason: jump)\n");
        return _dir;
    }

    [Fact]
    public void RecoveryStepsAndLargestErrorsComeOutAsMadeUp()
    {
        var run = MakeRun();
        var json = Path.Combine(run, "pause.json");
        var (code, output) = LabScripts.Python("pause.py", run, "--json", json);
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var pauses = doc.RootElement.GetProperty("pauses");
        Assert.Equal(2, pauses.GetArrayLength());
        Assert.Equal(60, pauses[0].GetProperty("jump_second").GetInt32());
        Assert.Equal(-10.0, pauses[0].GetProperty("offset_at_jump_s").GetDouble(), 6);
        Assert.Equal(2, pauses[0].GetProperty("recovery_s").GetInt32());
        Assert.Equal(30_000.0, pauses[0].GetProperty("max_abs_error_after_resume_us").GetDouble());
        Assert.Equal(1.0, pauses[0].GetProperty("max_abs_error_after_recovery_us").GetDouble());
        Assert.Equal(140, pauses[1].GetProperty("jump_second").GetInt32());
        Assert.Equal(4, pauses[1].GetProperty("recovery_s").GetInt32());
        var steps = doc.RootElement.GetProperty("steps");
        Assert.Equal(3, steps.GetArrayLength());
        Assert.Equal("jump", steps[2].GetProperty("reason").GetString());
        Assert.All(doc.RootElement.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("ok").GetBoolean(), c.ToString()));
    }

    [Fact]
    public void RecoveryIsTimedFromTheResumeWhenTheDaemonStepsBeforeTheProbeSeesTheJump()
    {
        var run = MakeRun();
        // The daemon stepped back within milliseconds: no probe second shows either jump, only the 30 ms left at 61.
        var rows = File.ReadAllLines(Path.Combine(run, "out", "reference.jsonl"))
            .Select(l => l.Replace("\"best_offset_ns\":-10000000000", "\"best_offset_ns\":1000")
                          .Replace("\"median_offset_ns\":-10000000000", "\"median_offset_ns\":1000")
                          .Replace("\"best_offset_ns\":-120000000000", "\"best_offset_ns\":1000")
                          .Replace("\"median_offset_ns\":-120000000000", "\"median_offset_ns\":1000"));
        File.WriteAllLines(Path.Combine(run, "out", "reference.jsonl"), rows);
        var json = Path.Combine(run, "pause.json");
        var (code, output) = LabScripts.Python("pause.py", run, "--json", json);
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var pauses = doc.RootElement.GetProperty("pauses");
        Assert.Equal(JsonValueKind.Null, pauses[0].GetProperty("jump_second").ValueKind);
        Assert.Equal(60, pauses[0].GetProperty("resume_second").GetInt32());
        Assert.Equal(2, pauses[0].GetProperty("recovery_s").GetInt32());
        Assert.Equal(30_000.0, pauses[0].GetProperty("max_abs_error_after_resume_us").GetDouble());
        Assert.Equal(140, pauses[1].GetProperty("resume_second").GetInt32());
        Assert.Equal(4, pauses[1].GetProperty("recovery_s").GetInt32());
    }

    [Fact]
    public void ASecondStepAfterAPauseFailsTheVerdict()
    {
        var run = MakeRun();
        File.AppendAllText(Path.Combine(run, "out", "virtsyncd-sync.log"), "warn: stepped the clock by -0.002000000 s (reason: discontinuity)\n");
        var (code, output) = LabScripts.Python("pause.py", run);
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.Equal(1, code);
        Assert.Contains("no other steps after start-up", output);
    }
}
