namespace Sync.Clock.Virtio.Rtc;

/// <summary>Configuration of a <see cref="VirtioRtcDevice"/>; fixed for the device's life.</summary>
public sealed class VirtioRtcDeviceOptions
{
    /// <summary>The clocks, in clock_id order (1..65535 of them).</summary>
    public IReadOnlyList<DeviceClock> Clocks { get; init; } = [];

    /// <summary>How often enabled alarms are checked against their clocks (also checked on every request). Default 10 ms.</summary>
    public TimeSpan AlarmPollInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// An alarm that stays expired and enabled is notified again at most this often (after its first
    /// notification was delivered), so a driver that does not disable it sees a steady reminder, not a storm.
    /// Default 1 s.
    /// </summary>
    public TimeSpan AlarmRenotifyInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Problems that make these options unusable, each naming the setting and the fix; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Clocks.Count == 0)
            problems.Add("Clocks: a virtio-rtc device needs at least one clock (the Linux driver refuses a device with none)");
        if (Clocks.Count > ushort.MaxValue)
            problems.Add($"Clocks: {Clocks.Count} clocks; clock ids are 16-bit, use at most {ushort.MaxValue}");
        for (int i = 0; i < Clocks.Count; i++)
        {
            var clock = Clocks[i];
            if (clock is null || clock.Source is null)
                problems.Add($"Clocks[{i}]: no clock source given");
            else if (clock.CrossTimestamp is { } cross && (cross.HostCounter is null || !cross.Relation.IsValid))
                problems.Add($"Clocks[{i}].CrossTimestamp: needs a host counter reader and a relation with a non-zero scale and 0..62 fractional bits");
        }
        if (AlarmPollInterval <= TimeSpan.Zero)
            problems.Add("AlarmPollInterval: must be positive (e.g. 00:00:00.010)");
        if (AlarmRenotifyInterval < TimeSpan.Zero)
            problems.Add("AlarmRenotifyInterval: must not be negative (e.g. 00:00:01)");
        return problems;
    }
}
