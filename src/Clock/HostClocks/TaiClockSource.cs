using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sync.Clock.Abstractions;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Clock.HostClocks;

/// <summary>
/// TAI on the host: CLOCK_TAI when the kernel knows its TAI offset (read with a modes = 0 clock_adjtime),
/// otherwise UTC (CLOCK_REALTIME or the given source) plus TAI - UTC from a leap-second table. The choice is
/// made once, at construction, and reported in <see cref="Derivation"/> and the log.
/// </summary>
public sealed class TaiClockSource : IHostClockSource
{
    private readonly IHostClockSource? _kernelTai;
    private readonly IHostClockSource _utc;
    private readonly LeapSecondTable? _table;

    public TaiClockSource(LeapSecondTable table, ILogger? logger = null)
        : this(table, HostClockInterop.ReadKernelTaiOffsetSeconds(), PosixClockSource.KernelTai(), PosixClockSource.Realtime(), logger)
    {
    }

    /// <summary>For tests and simulation: the kernel offset and the sources are given.</summary>
    internal TaiClockSource(LeapSecondTable? table, int? kernelTaiOffsetSeconds, IHostClockSource kernelTai, IHostClockSource utc, ILogger? logger)
    {
        logger ??= NullLogger.Instance;
        _utc = utc;
        KernelTaiOffsetSeconds = kernelTaiOffsetSeconds;
        if (kernelTaiOffsetSeconds is > 0)
        {
            _kernelTai = kernelTai;
            Derivation = TaiDerivation.KernelClockTai;
            logger.LogInformation("TAI clock: CLOCK_TAI (kernel TAI offset {TaiOffsetS} s)", kernelTaiOffsetSeconds);
        }
        else
        {
            _table = table ?? throw new ArgumentException(
                "the kernel's TAI offset is not set (0) and no leap-second table was given: TAI cannot be served", nameof(table));
            Derivation = TaiDerivation.LeapSecondTable;
            logger.LogInformation("TAI clock: CLOCK_REALTIME + leap-second table (kernel TAI offset {State})",
                kernelTaiOffsetSeconds is null ? "unreadable" : "not set");
        }
    }

    public ClockScale Scale => ClockScale.Tai;
    public TaiDerivation Derivation { get; }
    public int? KernelTaiOffsetSeconds { get; }

    public long ReadNanoseconds() => _kernelTai is not null
        ? _kernelTai.ReadNanoseconds()
        : _table!.ToTai(new Instant<Utc>(_utc.ReadNanoseconds())).Nanoseconds;

    public override string ToString() => Derivation == TaiDerivation.KernelClockTai
        ? $"TAI from CLOCK_TAI (kernel offset {KernelTaiOffsetSeconds} s)"
        : "TAI from CLOCK_REALTIME + leap-second table";
}
