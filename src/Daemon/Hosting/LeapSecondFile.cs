using Microsoft.Extensions.Logging;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Daemon.Hosting;

/// <summary>
/// The host's leap-second table file (IETF leap-seconds.list, sources:leapSecondsFile), read here at the edge;
/// the core only parses text and chooses between the file's table and its embedded copy. Used by `sync` and `serve`.
/// </summary>
public static partial class LeapSecondFile
{
    private const long MaxFileBytes = 1 << 20;

    /// <summary>Read and parse a leap-seconds.list file; never throws (a missing or unreadable file is an error result).</summary>
    public static LeapSecondLoadResult Read(string path, Instant<Utc> now)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                return LeapSecondLoadResult.Failed($"leap-seconds.list not found at {path}");
            if (info.Length > MaxFileBytes)
                return LeapSecondLoadResult.Failed($"{path} is {info.Length} bytes: too large for a leap-seconds.list (max {MaxFileBytes})");
            text = File.ReadAllText(path);
        }
        catch (UnauthorizedAccessException)
        {
            return LeapSecondLoadResult.Failed($"cannot read leap-seconds.list at {path}: permission denied");
        }
        catch (Exception e) when (e is IOException or ArgumentException or NotSupportedException or System.Security.SecurityException)
        {
            // Not e.Message: the daemon is built with UseSystemResourceKeys, so it would be a raw resource key.
            return LeapSecondLoadResult.Failed($"cannot read leap-seconds.list at {path} ({e.GetType().Name})");
        }
        var result = LeapSecondTable.Parse(text, now);
        return result.Error is null ? result : result with { Error = $"{path}: {result.Error}" };
    }

    /// <summary>The file's table when usable and not older than the embedded copy, else the embedded copy; warnings as in <see cref="LeapSecondTable.ChooseOverEmbedded"/>.</summary>
    public static LeapSecondTable LoadOrEmbedded(string path, Instant<Utc> now, out IReadOnlyList<string> warnings) =>
        LeapSecondTable.ChooseOverEmbedded(Read(path, now), path, now, out warnings);

    /// <summary>The table to use, every problem logged once.</summary>
    public static LeapSecondTable Load(string path, Instant<Utc> now, ILogger logger)
    {
        var table = LoadOrEmbedded(path, now, out var warnings);
        foreach (var warning in warnings)
            LogWarning(logger, warning);
        return table;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "leap-second table: {Warning}")]
    private static partial void LogWarning(ILogger logger, string warning);
}
