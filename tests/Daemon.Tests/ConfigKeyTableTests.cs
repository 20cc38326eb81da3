using System.Reflection;
using Sync.Daemon.Cli;
using Sync.Daemon.Configuration;

namespace Sync.Daemon.Tests;

/// <summary>
/// The configuration table (ConfigKeys) is the one declaration of every key: these tests keep docs/operations.md,
/// --help and the options equal to it, and fail when a key is declared but not read into the options.
/// </summary>
public sealed class ConfigKeyTableTests : IDisposable
{
    private const string Begin = "<!-- config-keys:begin (generated from src/Daemon/Configuration/ConfigKeys*.cs by ConfigKeyTableTests; VIRTSYNC_UPDATE_DOCS=1 rewrites it) -->";
    private const string End = "<!-- config-keys:end -->";

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> KeyNames() => [.. ConfigKeys.All.Select(k => k.Name)];

    private static ConfigKey Key(string name) => ConfigKeys.All.Single(k => k.Name == name);

    private ConfigurationLoadResult Load(params (string Key, string Value)[] overrides)
    {
        var path = _dir.File("virtsync.json");
        File.WriteAllText(path, "{}");
        return ConfigurationLoader.Load(new ConfigurationInputs
        {
            ConfigPath = path,
            Overrides = overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)).ToList(),
        });
    }

    [Fact]
    public void DocsTableIsTheKeyTable()
    {
        var path = Path.Combine(ConfigurationTests.RepoRoot(), "docs", "operations.md");
        var text = File.ReadAllText(path);
        int begin = text.IndexOf(Begin, StringComparison.Ordinal), end = text.IndexOf(End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"docs/operations.md needs the markers\n{Begin}\n{End}");
        var documented = text[(begin + Begin.Length)..end].Trim('\n');
        var expected = ConfigKeys.MarkdownTable().TrimEnd('\n');
        if (documented != expected && Environment.GetEnvironmentVariable("VIRTSYNC_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, text[..(begin + Begin.Length)] + "\n" + expected + "\n" + text[end..]);
            return;
        }
        Assert.True(documented == expected,
            "docs/operations.md's key table differs from ConfigKeys; run this test with VIRTSYNC_UPDATE_DOCS=1 or paste:\n" + expected);
    }

    [Fact]
    public void EveryDeclaredKeyIsInAllOnce()
    {
        var declared = typeof(ConfigKeys).GetNestedTypes(BindingFlags.Public)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => typeof(ConfigKey).IsAssignableFrom(f.FieldType))
            .Select(f => (ConfigKey)f.GetValue(null)!)
            .ToList();
        Assert.NotEmpty(declared);
        Assert.Equal(declared.Select(k => k.Name).Order(), ConfigKeys.All.Select(k => k.Name).Order());
        Assert.Equal(ConfigKeys.All.Count, ConfigKeys.All.Select(k => k.Name.ToLowerInvariant()).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(KeyNames))]
    public void EveryKeyReachesTheOptions(string name)
    {
        var key = Key(name);
        var result = Load((key.Name, key.Example));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.NotEqual(key.ValueIn(new VirtsyncOptions()), key.Example);
        Assert.Equal(key.Example, key.ValueIn(result.Options!));
    }

    [Theory]
    [MemberData(nameof(KeyNames))]
    public void OptionsStartAtTheTableDefault(string name)
    {
        var key = Key(name);
        Assert.Equal(key.DefaultText.StartsWith('[') || key.DefaultText.StartsWith('(') ? key.ValueIn(new VirtsyncOptions()) : key.DefaultText,
            key.ValueIn(new VirtsyncOptions()));
        Assert.Equal(key.ValueIn(new VirtsyncOptions()), key.ValueIn(Load().Options!));
    }

    [Fact]
    public void HelpListsEveryKeyWithItsDefault()
    {
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Ok, CommandLine.Run(["--help"], output, new StringWriter()));
        foreach (var key in ConfigKeys.All)
            Assert.Contains($"{key.Name}", output.ToString());
        Assert.Contains("sources:readIntervalSeconds", output.ToString());
        Assert.Contains("0.25 s (0.01..3600)", output.ToString());
    }

    [Theory]
    [InlineData("sources:readInterval", "did you mean sources:readIntervalSeconds?")]
    [InlineData("discipline:leapPolicyy", "did you mean discipline:leapPolicy?")]
    [InlineData("serve:simulated:leapAt", "did you mean serve:simulated:leapAtUtc?")]
    [InlineData("metric:listen", "did you mean metrics:listen?")]
    public void TypoNamesTheNearestKey(string typo, string expected)
    {
        var error = Assert.Single(Load((typo, "1")).Errors);
        Assert.Equal(typo, error.Key);
        Assert.Contains(expected, error.ToString());
    }

    [Fact]
    public void BadChoiceNamesTheNearestValue()
    {
        var error = Assert.Single(Load(("discipline:leapPolicy", "kernal")).Errors);
        Assert.Equal("discipline:leapPolicy = kernal is not allowed: use kernel, slew or follow-smear (did you mean kernel?)", error.ToString());
    }

    [Theory]
    [InlineData("2026-12-31T12:00:00Z", "is not a UTC midnight")]
    [InlineData("tomorrow", "is not a date and time: use a UTC midnight such as 2026-12-31T00:00:00Z")]
    public void LeapAtUtcIsCheckedAtLoad(string value, string expected)
    {
        var error = Assert.Single(Load(("serve:simulated:leapAtUtc", value)).Errors);
        Assert.Contains($"serve:simulated:leapAtUtc = {value} {expected}", error.ToString());
    }

    [Fact]
    public void LeapAtUtcIsParsedIntoTheOptions()
    {
        var o = Load(("serve:simulated:leapAtUtc", "2027-01-01T00:00:00+00:00")).Options!;
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), o.Serve.Simulated.LeapAtUtc);
    }

    [Fact]
    public void BadLeapAtUtcStopsServeWithExit78()
    {
        var stderr = new StringWriter();
        File.WriteAllText(_dir.File("serve.json"), "{}");
        var code = CommandLine.Run(["serve", "--config", _dir.File("serve.json"), "--serve:simulated:leapAtUtc=2026-12-31T12:00:00Z"],
            new StringWriter(), stderr);
        Assert.Equal(ExitCodes.ConfigError, code);
        Assert.Contains("serve:simulated:leapAtUtc = 2026-12-31T12:00:00Z is not a UTC midnight", stderr.ToString());
    }

    [Theory]
    [InlineData("monotonic")]
    [InlineData("utc-maybe-smeared")]
    [InlineData("simulated")]
    public void SimulatedScaleAcceptsOnlyScalesDefinedFromTai(string value)
    {
        var error = Assert.Single(Load(("serve:simulated:scale", value)).Errors);
        Assert.Contains($"serve:simulated:scale = {value} is not allowed: use utc, tai, utc-smeared-noon or utc-smeared-sls", error.ToString());
    }

    [Fact]
    public void DuplicateKeyInTheFileIsNamed()
    {
        var path = _dir.File("dup.json");
        File.WriteAllText(path, """{ "sources": { "filter": "fastest", "Filter": "delay-band" } }""");
        var error = Assert.Single(ConfigurationLoader.Load(new ConfigurationInputs { ConfigPath = path }).Errors);
        Assert.Equal("sources:Filter: appears twice in the file: keep one", error.ToString());
    }
}
