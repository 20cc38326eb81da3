using System.Text;
using System.Text.Json;

namespace Sync.EndToEnd.Tests.VmLab;

/// <summary>
/// deploy/vmlab/snapshotlab.py on a made-up restore shaped like the lab's run of 2026-12-07 12:28: the guest (1 us off
/// its reference) is frozen at host 08:01:00.0 (QMP `stop` sent 59.95, answered 60.0), saved, and restored in a new QEMU
/// whose `cont` is sent at 130.0 and answered at 130.2. The guest's wall clock resumes at 08:01:00.0, 70.2 s behind;
/// the daemon logs the vmclock marker 0.1 s of guest time later (host 130.3) and the jump's step 0.05 s after that,
/// before the probe's first second after the resume (host 130.25 on), so the probe never sees the jump.
/// </summary>
public sealed class SnapshotAnalysisTests : IDisposable
{
    private const long Base = 1_800_000_000; // 08:00:00 UTC
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "snapshot-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private const string Marker =
        "08:01:00.100 warn: Sync.Daemon.Pipeline.SyncService[1716262842] vmclock disruption marker changed (1 -> 2): the VM was restored or migrated; estimate dropped\n";
    private const string JumpStep =
        "08:01:00.148 warn: Sync.Daemon.Pipeline.StepReporter[383716297] clock jump: the offset moved by -70.200000 s between two samples\n" +
        "08:01:00.150 warn: Sync.Daemon.Pipeline.StepReporter[1487412517] stepped the clock by +70.200000000 s (reason: jump)\n";

    private string MakeRun(string? log = null, int afterMarker = 2)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "out"));
        var probe = new StringBuilder("{\"probe\":\"/dev/ptp1\"}\n");
        for (var t = 0; t < 130; t++)
        {
            var reference = Base + t + (t >= 60 ? 70.25 : 0);
            var offset = t == 61 ? 30_000 : 1_000;
            probe.Append(FormattableString.Invariant(
                $"{{\"t\":{t},\"wall\":{reference + offset / 1e9:F6},\"calls\":20,\"min_delay_ns\":13000,\"best_offset_ns\":{offset},\"median_offset_ns\":{offset}}}\n"));
        }
        File.WriteAllText(Path.Combine(_dir, "out", "reference.jsonl"), probe.ToString());
        File.WriteAllText(Path.Combine(_dir, "events.jsonl"),
            "{\"event\":\"stop\",\"host_wall\":1800000060.0,\"pause_s\":60,\"sent_wall\":1800000059.95}\n" +
            "{\"event\":\"cont\",\"host_wall\":1800000130.2,\"pause_s\":60,\"sent_wall\":1800000130.0}\n");
        File.WriteAllText(Path.Combine(_dir, "out", "virtsyncd-sync.log"), log ??
            "08:00:01.000 warn: Sync.Daemon.Pipeline.StepReporter[1487412517] stepped the clock by +1.563553956 s (reason: startup)\n" +
            Marker + JumpStep);
        File.WriteAllText(Path.Combine(_dir, "console.log"),
            "@@CLOCKS {\"clocks\":[],\"vmclock\":{\"path\":\"/dev/vmclock0\",\"disruption_marker\": 1}}\n" +
            $"@@CLOCKS {{\"clocks\":[],\"vmclock\":{{\"path\":\"/dev/vmclock0\",\"disruption_marker\": {afterMarker}}}}}\n");
        return _dir;
    }

    private static (int Code, string Output, JsonDocument? Report) Analyze(string run)
    {
        var json = Path.Combine(run, "snapshot.json");
        var (code, output) = LabScripts.Python("snapshotlab.py", run, "--json", json);
        return (code, output, File.Exists(json) ? JsonDocument.Parse(File.ReadAllText(json)) : null);
    }

    private static List<string?> Failed(JsonDocument doc) => doc.RootElement.GetProperty("checks").EnumerateArray()
        .Where(c => !c.GetProperty("ok").GetBoolean()).Select(c => c.GetProperty("name").GetString()).ToList();

    [Fact]
    public void TheMarkerIsTimedOnTheHostsClockAndTheRestoreLikeAPause()
    {
        var (code, output, doc) = Analyze(MakeRun());
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        var r = doc!.RootElement;
        Assert.Equal([1, 2], r.GetProperty("page_markers").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(r.GetProperty("marker_before_jump_step").GetBoolean());
        Assert.Equal(0.05, r.GetProperty("marker_to_step_s").GetDouble(), 3);
        // Guest 08:01:00.100 + the 70.2 s step = host 130.3: 0.3 s after `cont` was sent, 0.1 s after its answer.
        Assert.Equal(0.3, r.GetProperty("marker_after_resume_s").GetDouble(), 3);
        Assert.Equal(0.1, r.GetProperty("marker_after_cont_answer_s").GetDouble(), 3);
        var restore = r.GetProperty("pauses")[0];
        Assert.Equal(0.25, restore.GetProperty("recovery_s").GetDouble(), 3);
        Assert.Equal(30.0, restore.GetProperty("max_abs_error_after_resume_us").GetDouble());
        Assert.Empty(Failed(doc));
    }

    [Fact]
    public void ADaemonThatNeverSawTheMarkerFails()
    {
        // The jump is still stepped (from the sample), but the marker was not acted on.
        var (code, _, doc) = Analyze(MakeRun(log: JumpStep));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.Equal(1, code);
        Assert.Equal(
            ["snapshot: vmclock disruption marker change logged once after the restore",
             "snapshot: the marker was acted on before the jump step",
             "snapshot: the marker was seen within one read interval after QEMU answered `cont` (host clock)"],
            Failed(doc!));
    }

    [Fact]
    public void AMarkerSeenOnlyAfterTheJumpStepFails()
    {
        // Logged after the step, so stamped on the corrected clock: 08:02:10.600 is host 130.6.
        var late = Marker.Replace("08:01:00.100", "08:02:10.600");
        var (code, _, doc) = Analyze(MakeRun(log: JumpStep + late));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.Equal(1, code);
        // 0.4 s after the answer: past one read interval.
        Assert.Equal(0.4, doc!.RootElement.GetProperty("marker_after_cont_answer_s").GetDouble(), 3);
        Assert.Equal(
            ["snapshot: the marker was acted on before the jump step",
             "snapshot: the marker was seen within one read interval after QEMU answered `cont` (host clock)"],
            Failed(doc));
    }

    [Fact]
    public void APageWhoseMarkerDidNotChangeFails()
    {
        var (code, _, doc) = Analyze(MakeRun(afterMarker: 1));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.Equal(1, code);
        Assert.Equal(["snapshot: the vmclock page's marker changed over the restore (clocks --json before, after)"], Failed(doc!));
    }
}
