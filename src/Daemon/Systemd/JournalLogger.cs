using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Sync.Daemon.Configuration;
using Sync.Daemon.Sockets;

namespace Sync.Daemon.Systemd;

/// <summary>
/// Logs to systemd's journal with its native protocol (what sd_journal_send does, without libsystemd): one Unix
/// datagram per entry to /run/systemd/journal/socket with MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and the entry's own
/// fields: VIRTSYNC_CATEGORY, VIRTSYNC_EVENT (and VIRTSYNC_EVENT_ID), VIRTSYNC_TEMPLATE (the message template) and
/// one VIRTSYNC_NAME per template value, e.g. `stepped the clock by {StepSeconds} s (reason: {Reason})` gives
/// VIRTSYNC_STEPSECONDS and VIRTSYNC_REASON, so `journalctl VIRTSYNC_REASON=jump` finds every jump step.
/// An entry the socket refuses (journald gone, entry too large) goes to stderr in the systemd console format
/// instead: nothing is lost.
/// </summary>
public sealed class JournalLoggerProvider : ILoggerProvider
{
    public const string DefaultSocketPath = "/run/systemd/journal/socket";
    public const string Identifier = "virtsyncd";

    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly Lock _gate = new();
    private readonly TextWriter _fallback;
    private Socket? _socket;

    public JournalLoggerProvider(string socketPath = DefaultSocketPath, TextWriter? fallback = null)
    {
        _endpoint = UnixSocketAddress.Parse(socketPath);
        _fallback = fallback ?? Console.Error;
    }

    /// <summary>Entries that went to stderr because the journal socket refused them.</summary>
    public long Fallbacks { get; private set; }

    public ILogger CreateLogger(string categoryName) => new JournalLogger(this, categoryName);

    internal void Write(LogLevel level, string category, byte[] datagram, string message)
    {
        lock (_gate)
        {
            try
            {
                _socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                _socket.SendTo(datagram, SocketFlags.None, _endpoint);
                return;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Fallbacks++;
            }
            _fallback.WriteLine($"<{JournalEntry.Priority(level)}>{category}: {message.Replace('\n', ' ')}");
        }
    }

    /// <summary>
    /// Where `logging:format=auto` should log: the journal when systemd connected stderr to it (JOURNAL_STREAM is set,
    /// systemd.exec(5)) and its socket exists, else the systemd console format under systemd, else simple lines.
    /// </summary>
    public static LogFormat AutoFormat(string? journalStream, bool journalSocketExists, bool underSystemd) =>
        !string.IsNullOrEmpty(journalStream) && journalSocketExists ? LogFormat.Journal
        : underSystemd ? LogFormat.Systemd
        : LogFormat.Simple;

    public void Dispose()
    {
        lock (_gate)
        {
            _socket?.Dispose();
            _socket = null;
        }
    }

    private sealed class JournalLogger(JournalLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (exception is not null) message = $"{message}\n{exception}";
            var values = state as IReadOnlyList<KeyValuePair<string, object?>>;
            provider.Write(logLevel, category, JournalEntry.Encode(logLevel, category, eventId, message, values), message);
        }
    }
}

/// <summary>One journal entry in the native protocol's datagram format (pure; see systemd's JOURNAL_NATIVE_PROTOCOL).</summary>
public static class JournalEntry
{
    private const string OriginalFormat = "{OriginalFormat}";

    /// <summary>syslog priority: 7 debug, 6 info, 4 warning, 3 err, 2 crit.</summary>
    public static int Priority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 7,
        LogLevel.Information => 6,
        LogLevel.Warning => 4,
        LogLevel.Error => 3,
        _ => 2,
    };

    /// <summary>A journal field name from a template value name: upper case, [A-Z0-9_] only, VIRTSYNC_ in front.</summary>
    public static string FieldName(string name)
    {
        var b = new StringBuilder("VIRTSYNC_", 9 + name.Length);
        foreach (var c in name)
            b.Append(c is >= 'a' and <= 'z' ? (char)(c - 32) : c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') ? c : '_');
        return b.Length > 64 ? b.ToString(0, 64) : b.ToString();
    }

    public static byte[] Encode(LogLevel level, string category, EventId eventId, string message,
        IReadOnlyList<KeyValuePair<string, object?>>? values)
    {
        using var buffer = new MemoryStream(256 + message.Length);
        Field(buffer, "MESSAGE", message);
        Field(buffer, "PRIORITY", Priority(level).ToString(CultureInfo.InvariantCulture));
        Field(buffer, "SYSLOG_IDENTIFIER", JournalLoggerProvider.Identifier);
        Field(buffer, "VIRTSYNC_CATEGORY", category);
        if (eventId.Id != 0) Field(buffer, "VIRTSYNC_EVENT_ID", eventId.Id.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(eventId.Name)) Field(buffer, "VIRTSYNC_EVENT", eventId.Name);
        if (values is not null)
        {
            foreach (var (key, value) in values)
            {
                if (key == OriginalFormat) Field(buffer, "VIRTSYNC_TEMPLATE", value?.ToString() ?? "");
                else Field(buffer, FieldName(key), Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
            }
        }
        return buffer.ToArray();
    }

    /// <summary>NAME=value\n, or for a value with a newline NAME\n + 64-bit little-endian length + value + \n.</summary>
    private static void Field(Stream s, string name, string value)
    {
        s.Write(Encoding.ASCII.GetBytes(name));
        var bytes = Encoding.UTF8.GetBytes(value);
        if (Array.IndexOf(bytes, (byte)'\n') < 0)
        {
            s.WriteByte((byte)'=');
            s.Write(bytes);
        }
        else
        {
            s.WriteByte((byte)'\n');
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)bytes.Length);
            s.Write(length);
            s.Write(bytes);
        }
        s.WriteByte((byte)'\n');
    }
}
