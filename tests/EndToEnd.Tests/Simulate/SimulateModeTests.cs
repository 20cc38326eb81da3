using System.Text.Json;
using Sync.Clock.Simulation;
using Sync.Daemon.Modes;
using Sync.Daemon.Simulation;
using Sync.Filters.Engine;

namespace Sync.EndToEnd.Tests.Simulate;

public class SimulateModeTests
{
    private static SimulationResult RunQuiet(ulong seed, double durationS = 300) =>
        SimulationRunner.Run(ScenarioCatalog.Get("quiet") with { Seed = seed, DurationS = durationS },
            SimulationRunner.Virtsync(new SyncEngineOptions()), LeapPolicy.Kernel);

    [Fact]
    public void TheWholeChainConvergesThroughTheVirtioDeviceAndVirtqueue()
    {
        var result = RunQuiet(seed: 7);

        Assert.NotNull(result.Report.ConvergeS);
        Assert.True(result.Report.ConvergeS < 120, $"converged after {result.Report.ConvergeS} s");
        Assert.True(Math.Abs(result.Trace[^1].TrueOffsetNs) < 1_000, $"final offset {result.Trace[^1].TrueOffsetNs} ns");
    }

    [Fact]
    public void SameSeedGivesTheSameRunAndAnotherSeedAnother()
    {
        var a = RunQuiet(seed: 11, durationS: 120);
        var b = RunQuiet(seed: 11, durationS: 120);
        var c = RunQuiet(seed: 12, durationS: 120);

        Assert.Equal(a.Trace.Select(p => p.TrueOffsetNs), b.Trace.Select(p => p.TrueOffsetNs));
        Assert.NotEqual(a.Trace.Select(p => p.TrueOffsetNs), c.Trace.Select(p => p.TrueOffsetNs));
    }

    [Fact]
    public void OutWritesTheReportAndTheSamples()
    {
        var dir = Directory.CreateTempSubdirectory("virtsync-sim-").FullName;
        try
        {
            var stdout = new StringWriter();
            var code = SimulateMode.Run(["--scenario", "quiet", "--duration", "120", "--seed", "3", "--out", dir], stdout, new StringWriter());

            Assert.Equal(0, code);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json")));
            foreach (var key in new[] { "scenario", "seed", "duration_s", "rms_offset_ns", "max_abs_offset_ns", "converge_s", "steps", "bound_coverage", "events" })
                Assert.True(report.RootElement.TryGetProperty(key, out _), $"report.json lacks {key}");
            Assert.Equal("quiet", report.RootElement.GetProperty("scenario").GetString());
            Assert.Equal(3, report.RootElement.GetProperty("seed").GetInt64());
            var csv = File.ReadAllLines(Path.Combine(dir, "samples.csv"));
            Assert.StartsWith("t_s,true_offset_ns,bound_ns", csv[0]);
            Assert.True(csv.Length > 100);
            Assert.Equal(["report.json", "samples.csv"], Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).Order());
            Assert.Contains("RMS offset", stdout.ToString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void UnknownScenarioListsTheValidOnes()
    {
        var stderr = new StringWriter();
        var code = SimulateMode.Run(["--scenario", "no-such-thing"], new StringWriter(), stderr);

        Assert.Equal(64, code);
        foreach (var name in ScenarioCatalog.Names)
            Assert.Contains(name, stderr.ToString());
    }

    [Fact]
    public void EventsAreReportedWithTheirRecovery()
    {
        var result = SimulationRunner.Run(ScenarioCatalog.Get("migration") with { DurationS = 1900 },
            SimulationRunner.Virtsync(new SyncEngineOptions()), LeapPolicy.Kernel);

        Assert.Contains(result.Report.Events, e => e.Kind == "guest_step" && Math.Abs(e.TimeS - 1800) < 1);
        Assert.All(result.Report.Events, e => Assert.NotNull(e.RecoveryS));
    }
}
