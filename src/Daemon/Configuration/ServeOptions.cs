using Sync.Filters.Time;

namespace Sync.Daemon.Configuration;

/// <summary>The host-side vhost-user virtio-rtc device (section "serve").</summary>
public sealed record ServeOptions
{
    public const string DefaultSocketPath = "/run/virtsync/vhost-rtc.sock";

    public string SocketPath { get; init; } = DefaultSocketPath;
    public IReadOnlyList<ServedClock> Clocks { get; init; } = [ServedClock.Utc, ServedClock.Tai, ServedClock.Monotonic, ServedClock.UtcSmearedNoon];

    /// <summary>What a utc-maybe-smeared clock really does: none (plain UTC), noon or sls.</summary>
    public SmearVariant MaybeSmearedVariant { get; init; } = SmearVariant.Unspecified;
    public bool AlarmsEnabled { get; init; } = true;
}

/// <summary>A clock the device offers; the config names are utc, tai, monotonic, utc-smeared-noon, utc-smeared-sls, utc-maybe-smeared, simulated.</summary>
public enum ServedClock { Utc, Tai, Monotonic, UtcSmearedNoon, UtcSmearedSls, UtcMaybeSmeared, Simulated }
