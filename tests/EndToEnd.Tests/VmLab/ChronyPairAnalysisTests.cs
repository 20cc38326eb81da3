using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sync.EndToEnd.Tests.VmLab;

/// <summary>
/// deploy/vmlab/analyze.py on a made-up chrony-pair run (issue 15's comparison): two accuracy legs whose guest -
/// reference series are known (both start 2 s off and are stepped at 5 s; then the fed leg alternates +-3 us, the
/// PHC leg +-6 us), each analysed as its own run would, then compared with --pair.
/// </summary>
public sealed class ChronyPairAnalysisTests : IDisposable
{
    private const int Seconds = 200;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "chrony-pair-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>One leg: guest - reference (ns) per second from <paramref name="offsetNs"/>; every call 14 us.</summary>
    private string MakeLeg(string scenario, Func<int, long> offsetNs)
    {
        var run = Path.Combine(_dir, scenario);
        Directory.CreateDirectory(Path.Combine(run, "out"));
        var probe = new StringBuilder("{\"probe\":\"/dev/ptp4\",\"samples_per_call\":5,\"calls_per_second\":20}\n");
        for (var t = 0; t < Seconds; t++)
        {
            var v = offsetNs(t);
            probe.Append(CultureInfo.InvariantCulture,
                $"{{\"t\":{t},\"wall\":{1_796_600_000 + t}.0,\"calls\":20,\"min_delay_ns\":14000,\"best_offset_ns\":{v},\"floor_offset_ns\":{v},\"median_offset_ns\":{v},\"iqr_ns\":500,\"median_delay_ns\":14500}}\n");
        }
        File.WriteAllText(Path.Combine(run, "out", "reference.jsonl"), probe.ToString());
        File.WriteAllText(Path.Combine(run, "result.json"), """{"pass":true,"settle_s":60,"reference_file":"reference.jsonl"}""");
        File.WriteAllText(Path.Combine(run, "boot.json"), """{"timed_out":false,"wall_s":300}""");
        var (code, output) = LabScripts.Python("analyze.py", scenario, run, Path.Combine(_dir, scenario + ".json"));
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        return run;
    }

    private static long Stepped(int t, long afterStepNs) => t < 5 ? -2_000_000_000L : afterStepNs;

    private (int Code, string Output, JsonElement Report) Pair()
    {
        File.WriteAllText(Path.Combine(_dir, "loadavg.txt"), "1796600000 12.5 10.0 9.0\n1796600010 17.5 11.0 9.0\n");
        var json = Path.Combine(_dir, "chrony-pair.json");
        var (code, output) = LabScripts.Python("analyze.py", "--pair", "chrony-pair", _dir, json, "chrony-agent", "accuracy-chrony");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        return (code, output, doc.RootElement.Clone());
    }

    [Fact]
    public void FedSteadierThanPhcAndWithinOneMillisecondPasses()
    {
        MakeLeg("chrony-agent", t => Stepped(t, -25_000 + (t % 2 == 0 ? 3_000 : -3_000)));
        MakeLeg("accuracy-chrony", t => Stepped(t, -25_000 + (t % 2 == 0 ? 6_000 : -6_000)));
        var (code, output, report) = Pair();
        Assert.True(code == 0, output);
        Assert.True(report.GetProperty("pass").GetBoolean());
        var fed = report.GetProperty("metrics").GetProperty("chrony-agent");
        Assert.Equal(5, fed.GetProperty("after_first_step").GetProperty("first_within_s").GetInt32());
        Assert.Equal(28_000, fed.GetProperty("after_first_step").GetProperty("max_abs_ns").GetDouble());
        // Sample standard deviation (n - 1): 140 seconds from 60 s, 80 from 120 s.
        Assert.Equal(3_000 * Math.Sqrt(140.0 / 139), fed.GetProperty("windows").GetProperty("60").GetProperty("std_ns").GetDouble(), 1);
        Assert.Equal(6_000 * Math.Sqrt(80.0 / 79), report.GetProperty("metrics").GetProperty("accuracy-chrony").GetProperty("windows").GetProperty("120").GetProperty("std_ns").GetDouble(), 1);
        Assert.Equal(15.0, report.GetProperty("host_load_1m").GetProperty("mean").GetDouble());
        Assert.Contains("host load (1 min): min 12.5, mean 15.0, max 17.5", output);
    }

    [Fact]
    public void FedExcursionBeyondOneMillisecondOrWorseStdAfterSettlingFails()
    {
        // Fed: steadier from 60 s on the whole, but 1.5 ms off for one second at 70 s and noisier from 120 s.
        MakeLeg("chrony-agent", t => Stepped(t, t == 70 ? 1_500_000 : -25_000 + (t % 2 == 0 ? 1 : -1) * (t >= 120 ? 8_000 : 1_000)));
        MakeLeg("accuracy-chrony", t => Stepped(t, -25_000 + (t % 2 == 0 ? 200_000 : -200_000) * (t < 120 ? 1 : 0) + (t % 2 == 0 ? 4_000 : -4_000)));
        var (code, output, report) = Pair();
        Assert.Equal(1, code);
        Assert.False(report.GetProperty("pass").GetBoolean());
        var failed = report.GetProperty("checks").EnumerateArray().Where(c => !c.GetProperty("ok").GetBoolean())
            .Select(c => c.GetProperty("name").GetString()).ToArray();
        Assert.Equal(["chrony-agent within 1 ms of the reference after the first step", "chrony-agent std <= accuracy-chrony std from 120 s"], failed);
        Assert.Contains("[FAIL] chrony-agent std <= accuracy-chrony std from 120 s", output);
    }
}
