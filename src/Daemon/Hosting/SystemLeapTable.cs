using Microsoft.Extensions.Logging;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Daemon.Hosting;

/// <summary>The host's leap-second table (tzdata's leap-seconds.list), falling back to the embedded copy; every problem is logged once.</summary>
public static partial class SystemLeapTable
{
    public const string DefaultPath = "/usr/share/zoneinfo/leap-seconds.list";

    public static LeapSecondTable Load(Instant<Utc> now, ILogger logger, string path = DefaultPath)
    {
        var table = LeapSecondTable.LoadOrEmbedded(path, now, out var warnings);
        foreach (var warning in warnings)
            LogWarning(logger, warning);
        return table;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "leap-second table: {Warning}")]
    private static partial void LogWarning(ILogger logger, string warning);
}
