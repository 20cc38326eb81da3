using Sync.Clock.Simulation;

namespace Sync.Clock.Tests.Simulation;

/// <summary>Bad scenario files give our own sentences: the field, what is allowed, the nearest valid name.</summary>
public class ScenarioBadInputTests
{
    private static string Problem(string json) => Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json, "my.json")).Message;

    private static void NoFrameworkText(string message)
    {
        foreach (var key in new[] { "UnmappedJsonProperty", "JsonException", "Sync.Clock", "System.", "could not be mapped", "LineNumber", "BytePosition" })
            Assert.DoesNotContain(key, message);
    }

    [Fact]
    public void AnUnknownFieldIsNamedWithTheNearestValidOneAndTheList()
    {
        var message = Problem("""{ "name": "x", "oscilator": { "offset_ppm": 3 }, "sed": 4 }""");

        Assert.StartsWith("my.json: invalid scenario: ", message);
        Assert.Contains("unknown field \"oscilator\" (did you mean \"oscillator\"?)", message);
        Assert.Contains("the fields at the top level are: name, description, duration_s", message);
        Assert.Contains("unknown field \"sed\" (did you mean \"seed\"?)", message);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(message, "the fields at the top level")); // listed once
        Assert.DoesNotContain("duration_ns", message); // computed properties are not fields
        NoFrameworkText(message);
    }

    [Fact]
    public void TheOldPollIntervalFieldNamesItsNewName()
    {
        var message = Problem("""{ "name": "x", "poll_interval_s": 4 }""");

        Assert.Contains("field \"poll_interval_s\" is now called \"read_interval_s\"", message);
        Assert.DoesNotContain("unknown field", message);
        Assert.Equal(4, ScenarioLoader.Parse("""{ "name": "x", "read_interval_s": 4 }""").ReadIntervalS);
        NoFrameworkText(message);
    }

    [Fact]
    public void NestedAndListFieldsAreNamedByTheirPath()
    {
        var message = Problem("""
            { "name": "x", "delay": { "jiter_ns": 5 },
              "events": [ { "t_s": 1, "kind": "served_step", "step_ms": 1 }, { "t_s": 2, "kind": "guest_step", "stepms": 3 } ] }
            """);

        Assert.Contains("unknown field \"delay.jiter_ns\" (did you mean \"delay.jitter_ns\"?); the fields of delay are: base_delay_ns, jitter_ns", message);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(message, "the fields of delay"));
        Assert.Contains("unknown field \"events[1].stepms\" (did you mean \"events[1].step_ms\"?)", message);
        NoFrameworkText(message);
    }

    [Fact]
    public void AValueOfTheWrongTypeSaysWhatTheFieldTakes()
    {
        Assert.Contains("\"duration_s\" must be a number, not the string \"1h\"", Problem("""{ "name": "x", "duration_s": "1h" }"""));
        Assert.Contains("\"seed\" must be a whole number from 0 to 18446744073709551615, not the number -3", Problem("""{ "name": "x", "seed": -3 }"""));
        Assert.Contains("\"samples_per_reading\" must be a whole number, not the number 2.5", Problem("""{ "name": "x", "samples_per_reading": 2.5 }"""));
        Assert.Contains("\"events\" must be a list [ ... ], not an object", Problem("""{ "name": "x", "events": { } }"""));
        Assert.Contains("\"oscillator\" must be an object { ... }, not the number 3", Problem("""{ "name": "x", "oscillator": 3 }"""));
        Assert.Contains("\"reading_mode\" must be a string in quotes, not true", Problem("""{ "name": "x", "reading_mode": true }"""));
        Assert.Contains("\"duration_s\" is the number 1e999, too large for a number", Problem("""{ "name": "x", "duration_s": 1e999 }"""));
        Assert.Contains("the scenario must be an object { ... }, not a list", Problem("[]"));
    }

    [Fact]
    public void BrokenSyntaxIsShownWhereItBreaks()
    {
        var message = Problem("{\n  \"name\": \"x\"\n  \"duration_s\": 60\n}");

        Assert.Contains("not valid JSON at line 3, column 3: unexpected '\"': look for a missing comma, colon, quote or bracket just before it", message);
        Assert.Contains("\n      \"duration_s\": 60\n      ^", message);
        NoFrameworkText(message);

        Assert.Contains("the text ends too early", Problem("{ \"name\": \"x\", \"oscillator\": { \"offset_ppm\": 3 }"));
        Assert.Contains("the file is empty", Problem("  "));
    }

    [Fact]
    public void UnknownNamesSuggestTheNearestValidValue()
    {
        Assert.Contains("served_clock \"tia\" is unknown (did you mean \"tai\"?)", Problem("""{ "name": "x", "served_clock": "tia" }"""));
        Assert.Contains("reading_mode must be \"precise\" or \"extended\", not \"extend\" (did you mean \"extended\"?)", Problem("""{ "name": "x", "reading_mode": "extend" }"""));
        Assert.Contains("kind \"served_steps\" is unknown (did you mean \"served_step\"?)", Problem("""{ "name": "x", "events": [ { "t_s": 1, "kind": "served_steps", "step_ms": 1 } ] }"""));
        Assert.Contains("did you mean \"virtio-x86\"?", Assert.Throws<ScenarioException>(() => ScenarioCatalog.Get("virtio_x86")).Message);
    }

    [Fact]
    public void AFileThatCannotBeReadSaysWhyInWords()
    {
        var message = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile("/nonexistent/dir/x.json")).Message;

        Assert.Contains("cannot read scenario file '/nonexistent/dir/x.json': its directory does not exist", message);
    }

    [Fact]
    public void EveryDocumentedFieldIsAFieldTheCheckerKnows()
    {
        // The checker takes its names from the loader's metadata: a valid file with every field passes.
        Assert.Empty(ScenarioJsonCheck.Problems(ScenarioLoader.ToJson(ScenarioCatalog.Get("migration"))));
        Assert.Contains("periodic_terms", ScenarioJsonCheck.FieldNames(typeof(OscillatorSettings)));
        Assert.Contains("leap", ScenarioJsonCheck.FieldNames(typeof(ScenarioEvent)));
    }
}
