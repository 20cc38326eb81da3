using System.Globalization;
using System.Text.Json.Serialization;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Clock.Simulation;

/// <summary>
/// A simulated world to run the sync pipeline against: how long, which seed, what the host serves and how the
/// guest reads it, the guest oscillator, the read delays, and the events. Loaded from JSON (snake_case names,
/// see docs/scenarios.md) with <see cref="ScenarioLoader"/>, or taken from <see cref="ScenarioCatalog"/>.
/// </summary>
public sealed record Scenario
{
    /// <summary>The scales' one spelling (<see cref="ClockScale.Names"/>).</summary>
    public static readonly IReadOnlyList<string> ServedClockNames = [.. ClockScale.Names.Select(n => n.Name)];

    /// <summary>guest_leap_table "world": the embedded table plus the scenario's leap events (it knows them).</summary>
    public const string GuestLeapTableWorld = "world";
    /// <summary>guest_leap_table "embedded": the embedded copy only (expires 2026-06-28): none of the scenario's leaps.</summary>
    public const string GuestLeapTableEmbedded = "embedded";
    public static readonly IReadOnlyList<string> GuestLeapTableNames = [GuestLeapTableWorld, GuestLeapTableEmbedded];

    /// <summary>The largest host_tai_offset_s accepted (as for a leap-seconds.list offset).</summary>
    public const int MaxHostTaiOffsetS = 1000;

    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public double DurationS { get; set; } = 3600;
    public ulong Seed { get; set; } = 1;
    /// <summary>True UTC at the start, ISO 8601 with Z (e.g. "2026-11-25T00:00:00Z").</summary>
    public string StartUtc { get; set; } = "2026-11-25T00:00:00Z";
    /// <summary>Time between PHC readings.</summary>
    public double ReadIntervalS { get; set; } = 1;
    public int SamplesPerReading { get; set; } = 10;
    /// <summary>One of <see cref="ServedClockNames"/>.</summary>
    public string ServedClock { get; set; } = "tai";
    /// <summary>
    /// More clocks the same device serves (each another PTP clock of it, from the same host time, read through the same
    /// virtqueue), by the names of <see cref="ServedClockNames"/>: e.g. ["utc"] next to a TAI served_clock, so the guest
    /// can see TAI - UTC. The runner reads every clock of the scenario each step (sources:combine).
    /// </summary>
    public List<string> AlsoServedClocks { get; set; } = [];
    /// <summary>
    /// The host kernel's TAI offset (CLOCK_TAI - CLOCK_REALTIME, s) its TAI clocks are served with; null: the world's
    /// true TAI - UTC. 0 is a host that never set it (no leap-second source).
    /// </summary>
    public int? HostTaiOffsetS { get; set; }
    /// <summary>What the guest's leap-second table knows: one of <see cref="GuestLeapTableNames"/>.</summary>
    public string GuestLeapTable { get; set; } = GuestLeapTableWorld;
    /// <summary>For utc-maybe-smeared: "smear" (like noon-linear) or "step".</summary>
    public string MaybeSmearedBehaviour { get; set; } = "smear";
    /// <summary>"precise" (cross-timestamps) or "extended" (bracketed reads).</summary>
    public string ReadingMode { get; set; } = "extended";
    public OscillatorSettings Oscillator { get; set; } = new();
    public DelaySettings Delay { get; set; } = new();
    /// <summary>A second, usually narrower, path to the same host time; null = none.</summary>
    public SecondDeviceSettings? SecondDevice { get; set; }
    /// <summary>Guest clock minus true UTC at the start.</summary>
    public double InitialGuestOffsetMs { get; set; }
    public List<ScenarioEvent> Events { get; set; } = [];

    [JsonIgnore]
    public long DurationNs => (long)Math.Round(DurationS * 1e9);
    [JsonIgnore]
    public long ReadIntervalNs => (long)Math.Round(ReadIntervalS * 1e9);

    [JsonIgnore]
    public ClockScale ServedScale => ClockScale.TryParse(ServedClock, out var scale) ? scale
        : throw new ScenarioException($"scenario '{Name}': served_clock \"{ServedClock}\" is unknown; valid: {string.Join(", ", ServedClockNames)}");

    /// <summary>Every clock the first device serves: served_clock first, then also_served_clocks.</summary>
    [JsonIgnore]
    public IReadOnlyList<ClockScale> DeviceScales =>
        [ServedScale, .. (AlsoServedClocks ?? []).Select(name => ClockScale.TryParse(name, out var scale) ? scale
            : throw new ScenarioException($"scenario '{Name}': also_served_clocks \"{name}\" is unknown; valid: {string.Join(", ", ServedClockNames)}"))];

    [JsonIgnore]
    public ReadingMethod Method => ReadingMode == "precise" ? ReadingMethod.Precise : ReadingMethod.Extended;

    [JsonIgnore]
    public MaybeSmearedBehaviour MaybeSmeared => MaybeSmearedBehaviour == "step"
        ? Simulation.MaybeSmearedBehaviour.Step
        : Simulation.MaybeSmearedBehaviour.Smear;

    public bool TryParseStartUtc(out Instant<Utc> start)
    {
        start = default;
        if (!DateTimeOffset.TryParse(StartUtc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            return false;
        start = new Instant<Utc>(checked((parsed.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100));
        return true;
    }

    /// <summary>" (did you mean \"x\"?)" when value is a likely typo of one of names; "" otherwise.</summary>
    internal static string DidYouMean(string? value, IEnumerable<string> names) =>
        value is not null && ScenarioJsonCheck.Nearest(value, names) is { } nearest ? $" (did you mean \"{nearest}\"?)" : "";

    /// <summary>Every problem with this scenario, each naming the field and what is allowed; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name)) problems.Add("name must not be empty");
        if (!double.IsFinite(DurationS) || DurationS <= 0 || DurationS > 30 * 86400) problems.Add("duration_s must be in (0, 2592000]");
        if (!TryParseStartUtc(out _)) problems.Add($"start_utc \"{StartUtc}\" is not an ISO 8601 UTC time like 2026-11-25T00:00:00Z");
        if (!double.IsFinite(ReadIntervalS) || ReadIntervalS < 0.01 || ReadIntervalS > 3600) problems.Add("read_interval_s must be in [0.01, 3600]");
        if (SamplesPerReading is < 1 or > SimulatedPhc.MaxSamplesPerReading) problems.Add($"samples_per_reading must be in 1..{SimulatedPhc.MaxSamplesPerReading}");
        if (!ServedClockNames.Contains(ServedClock)) problems.Add($"served_clock \"{ServedClock}\" is unknown{DidYouMean(ServedClock, ServedClockNames)}; valid: {string.Join(", ", ServedClockNames)}");
        problems.AddRange(ValidateClocks());
        if (MaybeSmearedBehaviour is not ("smear" or "step")) problems.Add($"maybe_smeared_behaviour must be \"smear\" or \"step\", not \"{MaybeSmearedBehaviour}\"{DidYouMean(MaybeSmearedBehaviour, ["smear", "step"])}");
        if (ReadingMode is not ("precise" or "extended")) problems.Add($"reading_mode must be \"precise\" or \"extended\", not \"{ReadingMode}\"{DidYouMean(ReadingMode, ["precise", "extended"])}");
        if (Oscillator is null) problems.Add("oscillator must not be null");
        else problems.AddRange(Oscillator.Validate("oscillator."));
        if (Delay is null) problems.Add("delay must not be null");
        else problems.AddRange(Delay.Validate("delay."));
        if (SecondDevice is not null) problems.AddRange(SecondDevice.Validate("second_device."));
        if (!double.IsFinite(InitialGuestOffsetMs) || Math.Abs(InitialGuestOffsetMs) > 1e9) problems.Add("initial_guest_offset_ms must be a finite number within +-1e9");
        if (Events is null) problems.Add("events must be a list (may be empty)");
        else
            for (var i = 0; i < Events.Count; i++)
            {
                if (Events[i] is null) { problems.Add($"events[{i}] must not be null"); continue; }
                problems.AddRange(Events[i].Validate($"events[{i}]: "));
            }
        return problems;
    }

    /// <summary>also_served_clocks, host_tai_offset_s and guest_leap_table.</summary>
    private IEnumerable<string> ValidateClocks()
    {
        if (AlsoServedClocks is null)
        {
            yield return "also_served_clocks must be a list of clock names (may be empty)";
        }
        else
        {
            for (var i = 0; i < AlsoServedClocks.Count; i++)
            {
                var name = AlsoServedClocks[i];
                if (!ServedClockNames.Contains(name))
                    yield return $"also_served_clocks[{i}] \"{name}\" is unknown{DidYouMean(name, ServedClockNames)}; valid: {string.Join(", ", ServedClockNames)}";
                else if (name == ServedClock || AlsoServedClocks.IndexOf(name) < i)
                    yield return $"also_served_clocks[{i}] \"{name}\" is served already (served_clock and also_served_clocks name each clock once)";
            }
        }
        if (HostTaiOffsetS is { } offset && offset is < 0 or > MaxHostTaiOffsetS)
            yield return $"host_tai_offset_s must be a whole number of seconds in 0..{MaxHostTaiOffsetS} (or absent: the true TAI - UTC), not {offset}";
        if (!GuestLeapTableNames.Contains(GuestLeapTable))
            yield return $"guest_leap_table \"{GuestLeapTable}\" is unknown{DidYouMean(GuestLeapTable, GuestLeapTableNames)}; valid: {string.Join(", ", GuestLeapTableNames)}";
    }
}
