using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sync.Filters.Time;

namespace Sync.Filters.Leap;

/// <summary>
/// Parser for the IETF/IERS leap-seconds.list format (tzdata ships it as /usr/share/zoneinfo/leap-seconds.list).
/// <list type="bullet">
/// <item>Data lines: <c>NTP-seconds TAI-UTC [# comment]</c>; NTP seconds count from 1900-01-01 00:00:00 UTC and
/// name the UTC midnight from which TAI - UTC has the given value.</item>
/// <item><c>#$ NTP-seconds</c>: last update; <c>#@ NTP-seconds</c>: expiry; <c>#h w1 w2 w3 w4 w5</c>: hash.</item>
/// <item>Any other line starting with '#' is a comment.</item>
/// </list>
/// The hash is SHA-1 over the ASCII digits, in file order, of the <c>#$</c> line, the <c>#@</c> line and every
/// data line up to its '#' comment (whitespace and everything else skipped), compared with the five 32-bit words
/// of <c>#h</c> read as big-endian hexadecimal (leading zeros may be missing), as ntpd's ntp_leapsec.c checks it.
/// Never throws: malformed input gives an error result.
/// </summary>
public static class LeapSecondListParser
{
    /// <summary>Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).</summary>
    public const long NtpToUnixEpochSeconds = 2_208_988_800L;

    private const long SecondsPerDay = 86_400L;
    private const long MaxNtpSeconds = 100_000_000_000L; // ~ year 5000: far beyond any real file, far from overflow
    private const int MaxTaiMinusUtcSeconds = 1000;
    private const int HashWords = 5;

    public static LeapSecondLoadResult Parse(string? text)
    {
        if (text is null)
            return LeapSecondLoadResult.Failed("leap-seconds.list: no text");

        var warnings = new List<string>();
        var entries = new List<LeapSecond>();
        var hashInput = new StringBuilder();
        long? lastUpdateNtp = null, expiresNtp = null;
        uint[]? expectedHash = null;

        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (line.StartsWith("#$", StringComparison.Ordinal) || line.StartsWith("#@", StringComparison.Ordinal))
            {
                var isExpiry = line[1] == '@';
                if ((isExpiry ? expiresNtp : lastUpdateNtp) is not null)
                    return Fail(lineNumber, $"more than one {line[..2]} line", warnings);
                if (!TryParseNtpSeconds(line[2..], out var ntp))
                    return Fail(lineNumber, $"{line[..2]} needs one NTP timestamp (seconds since 1900), got '{Clip(line)}'", warnings);
                AppendDigits(hashInput, line.AsSpan(2));
                if (isExpiry) expiresNtp = ntp; else lastUpdateNtp = ntp;
                continue;
            }
            if (line.StartsWith("#h", StringComparison.Ordinal))
            {
                if (expectedHash is not null)
                    return Fail(lineNumber, "more than one #h line", warnings);
                expectedHash = TryParseHash(line[2..]);
                if (expectedHash is null)
                    return Fail(lineNumber, $"#h needs five hexadecimal 32-bit words, got '{Clip(line)}'", warnings);
                continue;
            }
            if (line.StartsWith('#') || string.IsNullOrWhiteSpace(line))
                continue;

            var data = line.Split('#', 2)[0];
            var fields = data.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 2)
                return Fail(lineNumber, $"a data line has two numbers (NTP seconds, TAI-UTC), got '{Clip(line)}'", warnings);
            if (!TryParseNtpSeconds(fields[0], out var effectiveNtp))
                return Fail(lineNumber, $"'{Clip(fields[0])}' is not an NTP timestamp", warnings);
            if (effectiveNtp % SecondsPerDay != 0)
                return Fail(lineNumber, $"NTP timestamp {effectiveNtp} is not a UTC midnight", warnings);
            if (!int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var taiMinusUtc)
                || taiMinusUtc > MaxTaiMinusUtcSeconds)
                return Fail(lineNumber, $"'{Clip(fields[1])}' is not a TAI-UTC offset in seconds (0..{MaxTaiMinusUtcSeconds})", warnings);

            var effective = Instant<Utc>.FromSeconds(effectiveNtp - NtpToUnixEpochSeconds);
            if (entries.Count > 0)
            {
                var previous = entries[^1];
                if (effective <= previous.Effective)
                    return Fail(lineNumber, "data lines are not in increasing time order", warnings);
                if (Math.Abs(taiMinusUtc - previous.TaiMinusUtcSeconds) != 1)
                    return Fail(lineNumber,
                        $"TAI-UTC changes from {previous.TaiMinusUtcSeconds} to {taiMinusUtc}: a leap second changes it by exactly 1",
                        warnings);
            }
            AppendDigits(hashInput, data.AsSpan());
            entries.Add(new LeapSecond(effective, taiMinusUtc));
        }

        if (entries.Count == 0)
            return LeapSecondLoadResult.Failed("leap-seconds.list: no data lines (NTP seconds, TAI-UTC)", warnings);

        if (expectedHash is null)
        {
            warnings.Add("leap-seconds.list has no #h hash line: its integrity is not verified");
        }
        else
        {
            var actual = SHA1.HashData(Encoding.ASCII.GetBytes(hashInput.ToString()));
            if (!HashMatches(actual, expectedHash))
                return LeapSecondLoadResult.Failed(
                    $"leap-seconds.list hash mismatch: #h says {FormatHash(expectedHash)}, the data hash to {Convert.ToHexStringLower(actual)} (file corrupt or edited)",
                    warnings);
        }

        Instant<Utc>? expires = null;
        if (expiresNtp is { } e)
            expires = Instant<Utc>.FromSeconds(e - NtpToUnixEpochSeconds);
        else
            warnings.Add("leap-seconds.list has no #@ expiry line: how long it stays valid is unknown");

        Instant<Utc>? lastUpdated = lastUpdateNtp is { } u ? Instant<Utc>.FromSeconds(u - NtpToUnixEpochSeconds) : null;
        return new LeapSecondLoadResult(new LeapSecondTable(entries, expires), warnings, null, lastUpdated);
    }

    /// <summary>Parse, then warn if the table has expired at <paramref name="now"/>.</summary>
    public static LeapSecondLoadResult Parse(string? text, Instant<Utc> now)
    {
        var result = Parse(text);
        if (result.Table is { } table && table.IsExpiredAt(now))
            return result with { Warnings = [.. result.Warnings, ExpiredWarning(table)] };
        return result;
    }

    internal static string ExpiredWarning(LeapSecondTable table) =>
        $"leap-seconds.list expired on {FormatDate(table.Expires!.Value)}: leap seconds after that date are unknown";

    /// <summary>The UTC calendar date of an instant, yyyy-MM-dd.</summary>
    public static string FormatDate(Instant<Utc> utc)
    {
        var days = Math.DivRem(utc.Nanoseconds, SecondsPerDay * Duration.NanosecondsPerSecond) is (var q, var r) && r < 0 ? q - 1 : q;
        return DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)days)
            .ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private static LeapSecondLoadResult Fail(int lineNumber, string message, List<string> warnings) =>
        LeapSecondLoadResult.Failed($"leap-seconds.list line {lineNumber}: {message}", warnings);

    private static bool TryParseNtpSeconds(string text, out long ntpSeconds) =>
        long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ntpSeconds)
        && ntpSeconds <= MaxNtpSeconds;

    private static uint[]? TryParseHash(string text)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != HashWords)
            return null;
        var hash = new uint[HashWords];
        for (var i = 0; i < HashWords; i++)
        {
            if (words[i].Length > 8
                || !uint.TryParse(words[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out hash[i]))
                return null;
        }
        return hash;
    }

    private static bool HashMatches(byte[] sha1, uint[] words)
    {
        for (var i = 0; i < HashWords; i++)
        {
            var word = (uint)sha1[4 * i] << 24 | (uint)sha1[4 * i + 1] << 16 | (uint)sha1[4 * i + 2] << 8 | sha1[4 * i + 3];
            if (word != words[i])
                return false;
        }
        return true;
    }

    private static string FormatHash(uint[] words) => string.Join(' ', words.Select(w => w.ToString("x8", CultureInfo.InvariantCulture)));

    private static void AppendDigits(StringBuilder hashInput, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c == '#')
                break;
            if (char.IsAsciiDigit(c))
                hashInput.Append(c);
        }
    }

    private static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "...";
}
