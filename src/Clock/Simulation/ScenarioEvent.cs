using System.Text.Json.Serialization;

namespace Sync.Clock.Simulation;

/// <summary>
/// One scheduled happening in a scenario, TS seconds after its start. Which fields matter depends on Kind:
/// served_step (step_ms), served_rate (rate_ppm), guest_step (step_ms), guest_freq_jump (freq_ppm),
/// device_removed (duration_s), vm_paused (duration_s), leap (leap: "insert" or "delete"; t_s must fall on a UTC midnight).
/// </summary>
public sealed record ScenarioEvent
{
    public const string ServedStep = "served_step";
    public const string ServedRate = "served_rate";
    public const string GuestStep = "guest_step";
    public const string GuestFreqJump = "guest_freq_jump";
    public const string DeviceRemoved = "device_removed";
    public const string VmPaused = "vm_paused";
    public const string Leap = "leap";
    public static readonly IReadOnlyList<string> Kinds = [ServedStep, ServedRate, GuestStep, GuestFreqJump, DeviceRemoved, VmPaused, Leap];

    [JsonPropertyName("t_s")]
    public double TS { get; set; }
    public string Kind { get; set; } = "";
    public double? StepMs { get; set; }
    public double? RatePpm { get; set; }
    public double? FreqPpm { get; set; }
    public double? DurationS { get; set; }
    [JsonPropertyName("leap")]
    public string? LeapDirection { get; set; }

    /// <summary>Problems with this event, each naming the field; empty when valid.</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        // Events after the end are allowed (a shortened run simply never reaches them).
        if (!double.IsFinite(TS) || TS < 0 || TS > 366 * 86400.0) yield return $"{prefix}t_s must be a number in [0, 31622400]";
        switch (Kind)
        {
            case ServedStep or GuestStep:
                if (StepMs is not { } step || !double.IsFinite(step)) yield return $"{prefix}{Kind} needs step_ms (a finite number)";
                break;
            case ServedRate:
                if (RatePpm is not { } rate || !double.IsFinite(rate) || Math.Abs(rate) > 1000) yield return $"{prefix}served_rate needs rate_ppm in [-1000, 1000]";
                break;
            case GuestFreqJump:
                if (FreqPpm is not { } freq || !double.IsFinite(freq) || Math.Abs(freq) > 1000) yield return $"{prefix}guest_freq_jump needs freq_ppm in [-1000, 1000]";
                break;
            case DeviceRemoved or VmPaused:
                if (DurationS is not { } duration || !double.IsFinite(duration) || duration <= 0) yield return $"{prefix}{Kind} needs duration_s > 0";
                break;
            case Leap:
                if (LeapDirection is not ("insert" or "delete")) yield return $"{prefix}leap needs leap: \"insert\" or \"delete\"";
                break;
            default:
                yield return $"{prefix}kind \"{Kind}\" is unknown{Scenario.DidYouMean(Kind, Kinds)}; valid kinds: {string.Join(", ", Kinds)}";
                break;
        }
    }
}
