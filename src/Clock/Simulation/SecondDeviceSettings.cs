namespace Sync.Clock.Simulation;

/// <summary>
/// A second path to the same host time (another virtio-rtc device, like QEMU's built-in one next to ours): its
/// own reading mode and delays, serving the same host clock (faults included) in the served clock's scale. It is
/// read after the first device in every step (the runner combines them, `sources:combine`), and is gone
/// (ENODEV) from RemovedAfterS on when that is given, so the first path must keep what it learnt from it.
/// </summary>
public sealed record SecondDeviceSettings
{
    /// <summary>"precise" (cross-timestamps) or "extended" (bracketed reads).</summary>
    public string ReadingMode { get; set; } = "extended";
    public DelaySettings Delay { get; set; } = new();
    /// <summary>Seconds after the start at which the device is removed for good; null = never.</summary>
    public double? RemovedAfterS { get; set; }

    public IEnumerable<string> Validate(string prefix)
    {
        if (ReadingMode is not ("precise" or "extended"))
            yield return $"{prefix}reading_mode must be \"precise\" or \"extended\", not \"{ReadingMode}\"{Scenario.DidYouMean(ReadingMode, ["precise", "extended"])}";
        if (Delay is null) yield return $"{prefix}delay must not be null";
        else foreach (var problem in Delay.Validate(prefix + "delay.")) yield return problem;
        if (RemovedAfterS is { } r && (!double.IsFinite(r) || r < 0)) yield return $"{prefix}removed_after_s must be a number >= 0";
    }
}
