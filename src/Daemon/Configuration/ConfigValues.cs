using System.Globalization;
using System.Net;
using System.Text;

namespace Sync.Daemon.Configuration;

/// <summary>
/// The value grammars of configuration keys (numbers in a range, booleans, names from a table, paths, HOST:PORT,
/// a UTC midnight). Each returns a <see cref="ConfigParser{T}"/> whose problem text says what is allowed.
/// </summary>
public static class ConfigValues
{
    public static string Format(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
    public static string Range(double min, double max) => $"{Format(min)}..{Format(max)}";

    public static ConfigParser<double> Number(double min, double max) => (string raw, out double value, out string problem) =>
    {
        var range = $"use {Range(min, max)}";
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out value) || !double.IsFinite(value))
        {
            problem = $"is not a number: {range}";
            return false;
        }
        if (value < min || value > max)
        {
            problem = $"is out of range: {range}";
            return false;
        }
        problem = "";
        return true;
    };

    public static ConfigParser<int> Integer(int min, int max) => (string raw, out int value, out string problem) =>
    {
        value = 0;
        var range = $"use {min}..{max}";
        if (!long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var wide))
        {
            problem = $"is not a whole number: {range}";
            return false;
        }
        if (wide < min || wide > max)
        {
            problem = $"is out of range: {range}";
            return false;
        }
        value = (int)wide;
        problem = "";
        return true;
    };

    public static bool Boolean(string raw, out bool value, out string problem)
    {
        problem = "";
        if (raw.Equals("true", StringComparison.OrdinalIgnoreCase)) { value = true; return true; }
        if (raw.Equals("false", StringComparison.OrdinalIgnoreCase)) { value = false; return true; }
        value = false;
        problem = "is not allowed: use true or false";
        return false;
    }

    public static string FormatBoolean(bool value) => value ? "true" : "false";

    /// <summary>One name of a name table (any case); the error lists every name and the nearest one.</summary>
    public static ConfigParser<T> Choice<T>(IReadOnlyList<(string Name, T Value)> table) where T : struct =>
        (string raw, out T value, out string problem) =>
        {
            if (ConfigNames.TryParse(table, raw, out value)) { problem = ""; return true; }
            var nearest = Nearest(raw, table.Select(t => t.Name));
            problem = $"is not allowed: use {Alternatives(table.Select(t => t.Name))}" + (nearest is null ? "" : $" (did you mean {nearest}?)");
            return false;
        };

    /// <summary>"a, b or c".</summary>
    public static string Alternatives(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count == 1 ? list[0] : string.Join(", ", list.Take(list.Count - 1)) + " or " + list[^1];
    }

    /// <summary>An absolute path that fits a Unix socket address (sockaddr_un.sun_path: 108 bytes with the NUL).</summary>
    public static bool SocketPath(string raw, out string value, out string problem)
    {
        value = raw;
        if (raw.Length == 0 || raw[0] != '/') { problem = "is not an absolute path: use a path starting with /"; return false; }
        if (raw.Contains('\0')) { problem = "contains a NUL character: use a plain path"; return false; }
        if (Encoding.UTF8.GetByteCount(raw) > 107) { problem = "is too long for a Unix socket: use at most 107 bytes"; return false; }
        problem = "";
        return true;
    }

    /// <summary>An absolute file path.</summary>
    public static bool FilePath(string raw, out string value, out string problem)
    {
        value = raw;
        if (raw.Length == 0 || raw[0] != '/') { problem = "is not an absolute path: use a path starting with /"; return false; }
        if (raw.Contains('\0')) { problem = "contains a NUL character: use a plain path"; return false; }
        problem = "";
        return true;
    }

    public static ConfigParser<string> Directory(string example) => (string raw, out string value, out string problem) =>
    {
        value = raw;
        if (raw.Length == 0 || raw[0] != '/') { problem = $"is not an absolute path: use a directory path starting with /, e.g. {example}"; return false; }
        if (raw.Contains('\0')) { problem = "contains a NUL character: use a plain path"; return false; }
        problem = "";
        return true;
    };

    /// <summary>HOST:PORT with an IPv4 address, [IPv6] or localhost, port 1..65535.</summary>
    public static bool Listen(string raw, out (string Host, int Port) value, out string problem)
    {
        value = ("", 0);
        const string usage = "use HOST:PORT, e.g. 127.0.0.1:10123 or [::1]:10123";
        int colon = raw.LastIndexOf(':');
        if (colon <= 0 || colon == raw.Length - 1) { problem = $"is not HOST:PORT: {usage}"; return false; }
        var hostPart = raw[..colon];
        var portPart = raw[(colon + 1)..];
        if (hostPart.StartsWith('[') && hostPart.EndsWith(']')) hostPart = hostPart[1..^1];
        else if (hostPart.Contains(':')) { problem = $"has an IPv6 address without brackets: {usage}"; return false; }
        if (!int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < 1 || port > 65535)
        {
            problem = $"has a bad port '{portPart}': use a port in 1..65535";
            return false;
        }
        if (!hostPart.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(hostPart, out _))
        {
            problem = $"has a bad host '{hostPart}': use an IP address or localhost";
            return false;
        }
        value = (hostPart, port);
        problem = "";
        return true;
    }

    public static string FormatListen((string Host, int Port) listen) =>
        listen.Host.Contains(':') ? $"[{listen.Host}]:{listen.Port}" : $"{listen.Host}:{listen.Port}";

    /// <summary>A UTC midnight in ISO 8601 (2026-12-31T00:00:00Z), or empty for none.</summary>
    public static bool UtcMidnight(string raw, out DateTimeOffset? value, out string problem)
    {
        value = null;
        problem = "";
        if (raw.Length == 0) return true;
        if (!DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            problem = "is not a date and time: use a UTC midnight such as 2026-12-31T00:00:00Z";
            return false;
        }
        if (parsed.UtcDateTime.TimeOfDay != TimeSpan.Zero)
        {
            problem = "is not a UTC midnight: a leap second ends a UTC day, use e.g. 2026-12-31T00:00:00Z";
            return false;
        }
        value = parsed.ToUniversalTime();
        return true;
    }

    public static string FormatUtcMidnight(DateTimeOffset? value) =>
        value is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "";

    /// <summary>The candidate closest to <paramref name="raw"/> (case-insensitive edit distance), if it is close enough to be a typo.</summary>
    public static string? Nearest(string raw, IEnumerable<string> candidates)
    {
        var list = candidates.ToList();
        // A name cut short (sources:readInterval for sources:readIntervalSeconds) is a typo too.
        var extended = list.Where(c => raw.Length >= 4 && c.StartsWith(raw, StringComparison.OrdinalIgnoreCase)).OrderBy(c => c.Length).FirstOrDefault();
        if (extended is not null) return extended;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in list)
        {
            var d = EditDistance(raw.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance) { best = candidate; bestDistance = d; }
        }
        return best is not null && bestDistance <= Math.Max(2, Math.Min(raw.Length, best.Length) / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
