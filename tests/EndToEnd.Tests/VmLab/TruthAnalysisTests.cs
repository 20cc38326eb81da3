using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sync.EndToEnd.Tests.VmLab;

/// <summary>
/// deploy/vmlab/truth.py on a made-up run whose truth is known: QEMU trace lines (one stamp with no fraction, as
/// QEMU prints a whole second; a boot-time write; one write whose trace line is missing) and truthprobe lines with
/// a guest clock 20 us behind the host, 50 us behind for ten seconds, against bounds of 2, 30 and 40 us.
/// </summary>
public sealed class TruthAnalysisTests : IDisposable
{
    private const long StartNs = 1_796_600_000L * 1_000_000_000L;
    private const int Seconds = 100;
    private const int WritesPerSecond = 10;
    private const int MissingSeq = 505;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "truth-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static long Theta(int second) => second is >= 80 and < 90 ? -50_000 : -20_000;

    private static string Stamp(long hostNs)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(hostNs / 1_000_000).UtcDateTime;
        var us = hostNs / 1000 % 1_000_000;
        var whole = t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return us == 0 ? whole + "Z" : $"{whole}.{us:D6}Z";
    }

    private string MakeRun()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "out"));
        var trace = new StringBuilder();
        var probe = new StringBuilder();
        trace.Append(Stamp(StartNs - 5_000_000_000)).Append(" parallel_ioport_write write [SW] addr 0x02 val 0xcc\n");
        trace.Append(Stamp(StartNs - 5_000_000_000)).Append(" parallel_ioport_write write [SW] addr 0x00 val 0xaa\n");
        var seq = 0;
        for (var s = 0; s < Seconds; s++)
            for (var k = 0; k < WritesPerSecond; k++, seq++)
            {
                var host = StartNs + s * 1_000_000_000L + k * 100_000_000L;
                var half = k == 3 ? 1_000 : 4_000; // the narrowest bracket of each second: 2 us + 1 us stamp quantum
                var a = host + Theta(s) - half;
                var b = host + Theta(s) + half;
                if (seq != MissingSeq)
                    trace.Append(Stamp(host)).Append(" parallel_ioport_write write [SW] addr 0x00 val 0x").Append((seq & 0xFF).ToString("x2")).Append('\n');
                var status = s is >= 40 and < 50 ? 2 : 1; // FreeRunning while the back end is down
                probe.Append(CultureInfo.InvariantCulture, $"{seq} {a} {b} 40 2 8193 0 {b + 500} 31000 {status} 0 30000\n");
            }
        File.WriteAllText(Path.Combine(_dir, "truth-trace.log"), trace.ToString());
        File.WriteAllText(Path.Combine(_dir, "events.jsonl"),
            $"{{\"event\":\"kill\",\"host_wall\":{StartNs / 1_000_000_000 + 40}.05}}\n{{\"event\":\"restart\",\"host_wall\":{StartNs / 1_000_000_000 + 50}.05}}\n");
        File.WriteAllText(Path.Combine(_dir, "out", "truth-probe.txt"), probe.ToString());
        File.WriteAllText(Path.Combine(_dir, "result.json"),
            $$"""{"daemon":"virtsync","settle_s":10,"start_realtime_s":{{StartNs / 1_000_000_000}}.0}""");
        return _dir;
    }

    [Fact]
    public void TruthErrorAndCertainViolationsComeOutAsMadeUp()
    {
        var run = MakeRun();
        var json = Path.Combine(run, "truth.json");
        var (code, output) = LabScripts.Python("truth.py", run, "--json", json);
        Assert.SkipWhen(code == 127, "python3 is not installed");
        Assert.True(code == 0, output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        Assert.Equal(Seconds * WritesPerSecond, r.GetProperty("probe_writes").GetInt32());
        Assert.Equal(Seconds * WritesPerSecond - 1, r.GetProperty("matched").GetInt32());

        var narrowest = r.GetProperty("narrowest");
        var truth = narrowest.GetProperty("truth");
        Assert.Equal(Seconds - 10, truth.GetProperty("seconds").GetInt32());
        Assert.Equal(3000, truth.GetProperty("bracket_width_ns_median").GetDouble());
        Assert.Equal(1500, truth.GetProperty("uncertainty_ns_median").GetDouble());
        // Bracket [theta - 2 us, theta + 1 us]: midpoint theta - 0.5 us; 80 s at -20 us, 10 s at -50 us.
        var error = narrowest.GetProperty("error_vs_truth");
        Assert.Equal((80 * -20_500.0 + 10 * -50_500.0) / 90, error.GetProperty("mean_ns").GetDouble(), 0.5);
        Assert.Equal(50_500, error.GetProperty("max_abs_ns").GetDouble());

        var coverage = narrowest.GetProperty("coverage");
        int Certain(string name) => coverage.GetProperty(name).GetProperty("certain_violations").GetInt32();
        Assert.Equal(10, Certain("clockbound_bound"));            // 30 us: only the -50 us seconds
        Assert.Equal(10, Certain("clockbound_client_interval"));  // 31 us
        Assert.Equal(10, Certain("kernel_maxerror_as_written"));  // 40 us
        Assert.Equal(90, Certain("kernel_esterror"));             // 2 us: every second
        Assert.Equal(0, coverage.GetProperty("clockbound_bound").GetProperty("possible_violations").GetInt32());
        Assert.Equal(30_000, coverage.GetProperty("clockbound_bound").GetProperty("median_bound_ns").GetDouble());
        Assert.Equal(0.0, r.GetProperty("clockbound_synchronized_after_s").GetDouble(), 0.01);
        // Every client read, not only each second's narrowest: the 100 writes of the -50 us seconds.
        Assert.Equal(100, r.GetProperty("clockbound_every_read").GetProperty("certain_violations").GetInt32());
        Assert.Equal(Seconds * WritesPerSecond - 1, r.GetProperty("clockbound_every_read").GetProperty("reads").GetInt32());

        // The outage: FreeRunning at the first write after the kill, Synchronized at the first after the restart;
        // the -50 us seconds fall inside kill .. restart + 60 s.
        var outage = r.GetProperty("outage");
        Assert.Equal(10.0, outage.GetProperty("down_s").GetDouble(), 0.01);
        Assert.Equal(0.05, outage.GetProperty("freerunning_after_kill_s").GetDouble(), 0.01);
        Assert.Equal(0.05, outage.GetProperty("synchronized_after_restart_s").GetDouble(), 0.01);
        Assert.Equal(10, outage.GetProperty("coverage_kill_to_restart_plus_60s").GetProperty("clockbound_bound").GetProperty("certain_violations").GetInt32());
    }
}
