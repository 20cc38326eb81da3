using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Daemon.Configuration;
using Sync.Daemon.Resilience;
using Sync.Filters.Time;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// Finds the configured PTP clocks and wraps each in a <see cref="ResilientReferenceClock"/> that finds it again by
/// its clock_name after the device is re-created (a new /dev/ptpN). Which clocks, in which order, is
/// <see cref="PtpClockSelector.Choose"/>, the same choice `virtsyncd clocks` reports: with no clocks configured every
/// usable clock in the default order (TAI, UTC, smeared, maybe-smeared, vmclock, KVM), the first preferred, the others
/// for failover.
/// Each is read through the one read guard, <see cref="ClockGuard"/> (a virtio-rtc read blocks while the host's back
/// end is dead, and the loop must go on, fail over or hold over, instead of stalling with it).
/// </summary>
public static class LinuxClockSources
{
    public static ClockResult<IReadOnlyList<IReferenceClock>> Open(SourcesOptions sources, PtpClockDiscovery discovery, TimeProvider time,
        Action<string>? skipped = null)
    {
        var chosen = PtpClockSelector.Choose(discovery.Discover(), sources.Clocks, skipped);
        if (!chosen.IsOk)
            return chosen.Error! with { Message = $"{(sources.Clocks.Count > 0 ? "sources:clocks: " : "")}{chosen.Error!.Message}; `virtsyncd clocks` lists the clocks and what sync would choose" };

        var guard = ClockGuard.Options(sources);
        var clocks = chosen.Value.Select(choice => choice.Clock).Select(c => (IReferenceClock)ClockGuard.Guard(
            Info(c), () => Reopen(discovery, c.ClockName, c.DevicePath), guard, time)).ToList();
        return ClockResult<IReadOnlyList<IReferenceClock>>.Ok(clocks);
    }

    private static ClockResult<IReferenceClock> Reopen(PtpClockDiscovery discovery, string clockName, string lastPath)
    {
        var again = discovery.Discover();
        var clock = again.FirstOrDefault(c => c.DevicePath == lastPath && c.ClockName == clockName)
            ?? again.FirstOrDefault(c => c.ClockName == clockName);
        if (clock is null)
            return new ClockError(ClockErrorKind.DeviceGone, "ENODEV", $"the PTP clock \"{clockName}\" is gone");
        var phc = new LinuxPhc(Info(clock));
        var opened = phc.Open();
        if (!opened.IsOk)
        {
            phc.Dispose();
            return opened.Error!;
        }
        return ClockResult<IReferenceClock>.Ok(phc);
    }

    private static ReferenceClockInfo Info(PtpClockDescription c) => new(c.DevicePath, c.ClockName, c.Scale ?? ClockScale.Utc);
}
