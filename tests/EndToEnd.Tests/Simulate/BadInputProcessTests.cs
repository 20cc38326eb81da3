using System.Diagnostics;

namespace Sync.EndToEnd.Tests.Simulate;

/// <summary>
/// Bad input through the real executable. Its runtimeconfig sets System.Resources.UseSystemResourceKeys (as the
/// AOT build does), which turns framework exception messages into bare resource keys such as
/// "UnmappedJsonProperty, oscilator, Sync.Clock.Simulation.Scenario": the user must never see one.
/// </summary>
public class BadInputProcessTests
{
    private static (int Code, string Stdout, string Stderr) Virtsyncd(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "virtsyncd"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start virtsyncd");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            throw new TimeoutException("virtsyncd did not exit within 60 s");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string WriteScenario(string json)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("virtsync-bad-").FullName, "scenario.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void TheExecutableRunsWithResourceKeysLikeTheAotBuild()
    {
        var config = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "virtsyncd.runtimeconfig.json"));
        Assert.Contains("\"System.Resources.UseSystemResourceKeys\": true", config);
    }

    [Theory]
    [InlineData("""{ "name": "x", "oscilator": { } }""", "unknown field \"oscilator\" (did you mean \"oscillator\"?)")]
    [InlineData("{ \"name\": \"x\"\n  \"seed\": 1 }", "not valid JSON at line 2, column 3")]
    [InlineData("""{ "name": "x", "seed": "one" }""", "\"seed\" must be a whole number")]
    [InlineData("""{ "name": "x", "served_clock": "tia" }""", "did you mean \"tai\"?")]
    public void ABadScenarioFileIsAUsageErrorInWords(string json, string expected)
    {
        var path = WriteScenario(json);
        try
        {
            var (code, _, stderr) = Virtsyncd("simulate", "--scenario", path, "--duration", "10");

            Assert.Equal(64, code);
            Assert.Contains(expected, stderr);
            Assert.DoesNotContain("Unmapped", stderr);
            Assert.DoesNotContain("Sync.Clock.Simulation", stderr);
            Assert.DoesNotContain("   at ", stderr); // no stack trace
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void AMissingScenarioFileSaysSo()
    {
        var (code, _, stderr) = Virtsyncd("simulate", "--scenario", "/nonexistent/x.json");

        Assert.Equal(64, code);
        Assert.Contains("cannot read scenario file '/nonexistent/x.json': its directory does not exist", stderr);
    }

    [Theory]
    [InlineData("""{ "sources": { "readIntervalSecond": 1 } }""", "readIntervalSecond")]
    [InlineData("{ \"sources\": {\n  \"readIntervalSeconds\": 1\n", "line")]
    public void ABadConfigurationFileIsAConfigurationErrorInWords(string json, string expected)
    {
        // --dry-run: even if the file were accepted, nothing would touch this machine's clock.
        var path = WriteScenario(json);
        try
        {
            var (code, stdout, stderr) = Virtsyncd("sync", "--config", path, "--dry-run");

            Assert.Equal(78, code);
            var output = stdout + stderr;
            Assert.Contains(expected, output);
            Assert.DoesNotContain("Unmapped", output);
            Assert.DoesNotMatch(@"[A-Z][A-Za-z]+_[A-Za-z]+", output); // a resource key such as Arg_ParseError
            Assert.DoesNotContain("   at ", output);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
