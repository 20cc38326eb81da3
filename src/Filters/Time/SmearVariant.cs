namespace Sync.Filters.Time;

/// <summary>How a UTC_SMEARED clock spreads a leap second; values match virtio-rtc's leap_second_smearing.</summary>
public enum SmearVariant : byte
{
    Unspecified = 0,
    NoonLinear = 1,
    UtcSls = 2,
}
