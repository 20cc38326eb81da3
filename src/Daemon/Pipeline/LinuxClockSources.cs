using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Daemon.Configuration;
using Sync.Daemon.Resilience;
using Sync.Filters.Time;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// Finds the configured PTP clocks and wraps each in a <see cref="ResilientReferenceClock"/> that finds it again by
/// its clock_name after the device is re-created (a new /dev/ptpN). With no clocks configured: every usable clock,
/// in the default order (TAI, UTC, smeared, maybe-smeared, vmclock, KVM), the first preferred, the others for failover.
/// Configured selectors are tried in order: each one that matches adds its clock (once), one that matches nothing is
/// skipped and reported through <c>skipped</c> (the shipped configuration names /dev/ptp_virtio_tai first, which is
/// absent where the host serves no TAI clock or udev made no links), and only when none matches does opening fail.
/// Each is read through a <see cref="TimeBoundedReferenceClock"/> (sources:readTimeoutMs): a virtio-rtc read blocks
/// while the host's back end is dead, and the loop must go on (fail over, hold over) instead of stalling with it.
/// </summary>
public static class LinuxClockSources
{
    public static ClockResult<IReadOnlyList<IReferenceClock>> Open(SourcesOptions sources, PtpClockDiscovery discovery, TimeProvider time,
        Action<string>? skipped = null)
    {
        var found = discovery.Discover();
        if (found.Count == 0)
            return new ClockError(ClockErrorKind.DeviceGone, "ENODEV", "no PTP clocks found: is the virtio_rtc or ptp_kvm module loaded?");

        var chosen = new List<PtpClockDescription>();
        if (sources.Clocks.Count == 0)
        {
            chosen.AddRange(found.Where(c => PtpClockSelector.DefaultRank(c) is not null).OrderBy(c => PtpClockSelector.DefaultRank(c)).ThenBy(c => c.Index));
        }
        else
        {
            var unmatched = new List<string>();
            foreach (var selector in sources.Clocks)
            {
                var match = Find(found, selector);
                if (match is null)
                {
                    unmatched.Add(selector.ToString());
                    skipped?.Invoke($"sources:clocks: no PTP clock matches {selector}; trying the next selector");
                }
                else if (!chosen.Contains(match))
                {
                    chosen.Add(match);
                }
            }
            if (chosen.Count == 0)
                return new ClockError(ClockErrorKind.DeviceGone, "ENODEV",
                    $"sources:clocks: no PTP clock matches any of {string.Join(", ", unmatched)}; `virtsyncd clocks` lists what there is");
        }
        if (chosen.Count == 0)
            return new ClockError(ClockErrorKind.NotSupported, "EOPNOTSUPP", "no usable PTP clock: none serves UTC, TAI or smeared UTC (`virtsyncd clocks` lists them)");

        var readTimeout = TimeSpan.FromMilliseconds(sources.ReadTimeoutMs);
        var clocks = chosen.Select(c => (IReferenceClock)new TimeBoundedReferenceClock(
            new ResilientReferenceClock(
                Info(c),
                () => Reopen(discovery, c.ClockName, c.DevicePath),
                new ClockReadPolicyOptions(),
                time),
            readTimeout,
            time)).ToList();
        return ClockResult<IReadOnlyList<IReferenceClock>>.Ok(clocks);
    }

    private static PtpClockDescription? Find(IReadOnlyList<PtpClockDescription> found, ClockSelector selector)
    {
        if (selector.Path is { } path)
            return found.FirstOrDefault(c => c.DevicePath == path || c.Symlinks.Contains(path));
        if (selector.ClockName is { } name)
            return found.FirstOrDefault(c => c.ClockName == name);
        if (selector.Type is { } type)
            return found.Where(c => c.UsableForRealtime && c.Scale?.Scale == type).OrderBy(c => c.Index).FirstOrDefault();
        return null;
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
