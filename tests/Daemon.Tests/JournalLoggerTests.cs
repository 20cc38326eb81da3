using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Sync.Daemon.Configuration;
using Sync.Daemon.Systemd;

namespace Sync.Daemon.Tests;

/// <summary>
/// The journal logger speaks systemd's native protocol: a fake journald (a Unix datagram socket in a temp folder)
/// receives what a LoggerMessage-style call logs and the datagram is decoded as journald would.
/// </summary>
public sealed class JournalLoggerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("journal-").FullName;
    private string SocketPath => Path.Combine(_dir, "socket");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly Action<ILogger, double, string, Exception?> Stepped =
        LoggerMessage.Define<double, string>(LogLevel.Warning, new EventId(7, "Step"),
            "stepped the clock by {StepSeconds:+0.000000000;-0.000000000} s (reason: {Reason})");

    /// <summary>Decodes a native-protocol datagram: NAME=value lines and NAME\n + u64 LE length + bytes + \n.</summary>
    private static Dictionary<string, string> Decode(byte[] d)
    {
        var fields = new Dictionary<string, string>();
        var i = 0;
        while (i < d.Length)
        {
            var end = Array.IndexOf(d, (byte)'\n', i);
            var eq = Array.IndexOf(d, (byte)'=', i, end - i);
            if (eq >= 0)
            {
                fields[Encoding.ASCII.GetString(d, i, eq - i)] = Encoding.UTF8.GetString(d, eq + 1, end - eq - 1);
                i = end + 1;
            }
            else
            {
                var name = Encoding.ASCII.GetString(d, i, end - i);
                var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(end + 1, 8));
                fields[name] = Encoding.UTF8.GetString(d, end + 9, length);
                Assert.Equal((byte)'\n', d[end + 9 + length]);
                i = end + 10 + length;
            }
        }
        return fields;
    }

    private (Socket Journal, JournalLoggerProvider Provider) FakeJournal(TextWriter? fallback = null)
    {
        var journal = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        journal.Bind(new UnixDomainSocketEndPoint(SocketPath));
        journal.ReceiveTimeout = 5000;
        return (journal, new JournalLoggerProvider(SocketPath, fallback));
    }

    private static Dictionary<string, string> Receive(Socket journal)
    {
        var buffer = new byte[65536];
        var n = journal.Receive(buffer);
        return Decode(buffer[..n]);
    }

    [Fact]
    public void AStepEntryCarriesPriorityIdentifierCategoryAndItsValuesAsFields()
    {
        var (journal, provider) = FakeJournal();
        using (journal)
        using (provider)
        {
            Stepped(provider.CreateLogger("Sync.Daemon.Pipeline.StepReporter"), -10.194415947, "jump", null);
            var f = Receive(journal);
            Assert.Equal("stepped the clock by -10.194415947 s (reason: jump)", f["MESSAGE"]);
            Assert.Equal("4", f["PRIORITY"]);
            Assert.Equal("virtsyncd", f["SYSLOG_IDENTIFIER"]);
            Assert.Equal("Sync.Daemon.Pipeline.StepReporter", f["VIRTSYNC_CATEGORY"]);
            Assert.Equal("7", f["VIRTSYNC_EVENT_ID"]);
            Assert.Equal("Step", f["VIRTSYNC_EVENT"]);
            Assert.Equal("jump", f["VIRTSYNC_REASON"]);
            Assert.Equal(-10.194415947, double.Parse(f["VIRTSYNC_STEPSECONDS"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.StartsWith("stepped the clock by {StepSeconds", f["VIRTSYNC_TEMPLATE"]);
            Assert.Equal(0, provider.Fallbacks);
        }
    }

    [Theory]
    [InlineData(LogLevel.Debug, "7")]
    [InlineData(LogLevel.Information, "6")]
    [InlineData(LogLevel.Warning, "4")]
    [InlineData(LogLevel.Error, "3")]
    [InlineData(LogLevel.Critical, "2")]
    public void LevelsMapToSyslogPriorities(LogLevel level, string priority)
    {
        var (journal, provider) = FakeJournal();
        using (journal)
        using (provider)
        {
            provider.CreateLogger("c").Log(level, "x");
            Assert.Equal(priority, Receive(journal)["PRIORITY"]);
        }
    }

    [Fact]
    public void AMultiLineMessageUsesTheBinaryFieldFormatWithTheException()
    {
        var (journal, provider) = FakeJournal();
        using (journal)
        using (provider)
        {
            provider.CreateLogger("c").LogError(new InvalidOperationException("boom"), "failed: {Thing}", "x\ny");
            var f = Receive(journal);
            Assert.StartsWith("failed: x\ny\nSystem.InvalidOperationException: boom", f["MESSAGE"]);
            Assert.Equal("x\ny", f["VIRTSYNC_THING"]);
        }
    }

    [Fact]
    public void WithoutJournaldTheEntryGoesToStderrNotLost()
    {
        var stderr = new StringWriter();
        using var provider = new JournalLoggerProvider(Path.Combine(_dir, "no-such-socket"), stderr);
        Stepped(provider.CreateLogger("Sync.Daemon.Pipeline.StepReporter"), 0.5, "startup", null);
        Assert.Equal(1, provider.Fallbacks);
        Assert.Contains("<4>Sync.Daemon.Pipeline.StepReporter: stepped the clock by +0.500000000 s (reason: startup)", stderr.ToString());
    }

    [Theory]
    [InlineData("StepSeconds", "VIRTSYNC_STEPSECONDS")]
    [InlineData("offset-us", "VIRTSYNC_OFFSET_US")]
    [InlineData("Ä1", "VIRTSYNC__1")]
    public void FieldNamesAreJournalSafe(string name, string field) => Assert.Equal(field, JournalEntry.FieldName(name));

    [Theory]
    [InlineData("8:1234", true, true, LogFormat.Journal)]
    [InlineData(null, true, true, LogFormat.Systemd)]      // stderr not connected to the journal
    [InlineData("8:1234", false, true, LogFormat.Systemd)] // no journald socket
    [InlineData(null, false, false, LogFormat.Simple)]
    public void AutoPicksTheJournalOnlyWhenStderrIsConnectedToIt(string? stream, bool socket, bool systemd, LogFormat expected) =>
        Assert.Equal(expected, JournalLoggerProvider.AutoFormat(stream, socket, systemd));

    [Theory]
    [InlineData(LogFormat.Journal, true)]
    [InlineData(LogFormat.Simple, false)]
    public void LoggingFormatJournalPutsTheJournalLoggerInTheHost(LogFormat format, bool journal)
    {
        var options = new VirtsyncOptions
        {
            Metrics = new MetricsOptions { Enabled = false },
            Status = new StatusOptions { Enabled = false },
            Logging = new LoggingOptions { Format = format },
        };
        var builder = Sync.Daemon.Hosting.DaemonHost.CreateBuilder(options, Sync.Daemon.Hosting.DaemonRole.Sync,
            new Sync.Daemon.Hosting.DaemonHostEnvironment { Systemd = SystemdEnvironment.None });
        using var host = builder.Build();
        var providers = (IEnumerable<ILoggerProvider>)host.Services.GetService(typeof(IEnumerable<ILoggerProvider>))!;
        Assert.Equal(journal, providers.OfType<JournalLoggerProvider>().Any());
        Assert.Contains(ConfigNames.LogFormats, x => x.Name == "journal" && x.Value == LogFormat.Journal);
    }
}
