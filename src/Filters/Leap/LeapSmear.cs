using Sync.Filters.Time;

namespace Sync.Filters.Leap;

/// <summary>Smearing and unsmearing leap seconds exactly as the virtio-rtc spec defines NOON_LINEAR and UTC_SLS.</summary>
public static class LeapSmear
{
    public static Instant<UtcSmeared> FromTai(Instant<Tai> tai, SmearVariant variant, LeapSecondTable table) =>
        throw new NotImplementedException("issue 2: time model");

    public static Instant<Tai> ToTai(Instant<UtcSmeared> smeared, SmearVariant variant, LeapSecondTable table) =>
        throw new NotImplementedException("issue 2: time model");

    /// <summary>Smeared minus unsmeared UTC at TAI instant tai (zero outside any smear window).</summary>
    public static Duration SmearAt(Instant<Tai> tai, SmearVariant variant, LeapSecondTable table) =>
        throw new NotImplementedException("issue 2: time model");
}
