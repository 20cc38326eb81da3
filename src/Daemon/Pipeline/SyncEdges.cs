using Microsoft.Extensions.Logging;
using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Daemon.Configuration;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// The machine <see cref="SyncService"/> works on: how it opens its reference clocks (each behind the read guard)
/// and which system clock it reads and steers. <see cref="Linux"/> for `sync`; tests give their own.
/// </summary>
public sealed record SyncEdges(Func<ClockResult<IReadOnlyList<IReferenceClock>>> OpenClocks, Func<ISystemClock> OpenSystemClock)
{
    /// <summary>
    /// The PHCs of this machine (<see cref="LinuxClockSources"/>) and CLOCK_REALTIME through clock_adjtime: written
    /// when the configuration allows it, otherwise only read (--dry-run logs each call it would make, at Debug).
    /// A sources:clocks selector that matches no clock is skipped with a warning.
    /// </summary>
    public static SyncEdges Linux(VirtsyncOptions options, TimeProvider time, ILoggerFactory loggers) => new(
        () => LinuxClockSources.Open(options.Sources, new PtpClockDiscovery(), time,
            skipped => loggers.CreateLogger(typeof(LinuxClockSources).FullName!).LogWarning("{Reason}", skipped)),
        () => options.MaySteerClock
            ? new LinuxSystemClock(new TimexSyscall(writesAllowed: true))
            : new DryRunSystemClock(new LinuxSystemClock(new TimexSyscall(writesAllowed: false)), loggers.CreateLogger<DryRunSystemClock>()));
}
