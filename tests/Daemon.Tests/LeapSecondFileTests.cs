using Sync.Daemon.Hosting;
using Sync.Filters.Leap;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>Reading the leap-second file happens at the edge (Daemon/Hosting), the choice against the embedded copy in the core.</summary>
public sealed class LeapSecondFileTests : IDisposable
{
    private static string EmbeddedText()
    {
        using var stream = typeof(LeapSecondTable).Assembly.GetManifestResourceStream("Sync.Filters.Leap.leap-seconds.list")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private readonly string _directory = Directory.CreateTempSubdirectory("virtsync-leap-").FullName;
    private static readonly Instant<Utc> BeforeExpiry = Instant<Utc>.FromSeconds(1_764_000_000); // 2025-11-24
    private static readonly Instant<Utc> AfterExpiry = Instant<Utc>.FromSeconds(1_795_000_000);  // 2026-11-18

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void LoadReadsAGoodFile()
    {
        var result = LeapSecondFile.Read(Write("leap-seconds.list", EmbeddedText()), BeforeExpiry);

        Assert.True(result.IsUsable, result.Error);
        Assert.Empty(result.Warnings);
        Assert.Equal(37, result.Table!.TaiMinusUtcAt(BeforeExpiry));
    }

    [Fact]
    public void LoadOfAMissingFileIsAnErrorNotAnException()
    {
        var result = LeapSecondFile.Read(Path.Combine(_directory, "absent.list"), BeforeExpiry);

        Assert.Null(result.Table);
        Assert.Contains("not found", result.Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\0")]
    public void LoadOfABadPathIsAnErrorNotAnException(string path)
    {
        var result = LeapSecondFile.Read(path, BeforeExpiry);

        Assert.Null(result.Table);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public void LoadOfADirectoryIsAnError()
    {
        var result = LeapSecondFile.Read(_directory, BeforeExpiry);

        Assert.Null(result.Table);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public void LoadOfAnExpiredFileWarns()
    {
        var result = LeapSecondFile.Read(Write("leap-seconds.list", EmbeddedText()), AfterExpiry);

        Assert.True(result.IsUsable);
        Assert.Contains("leap-seconds.list expired on 2026-06-28: leap seconds after that date are unknown", result.Warnings);
    }

    [Fact]
    public void CorruptFileFallsBackToTheEmbeddedTableWithAClearWarning()
    {
        var path = Write("leap-seconds.list", EmbeddedText().Replace("3991593600", "4091593600", StringComparison.Ordinal));

        var table = LeapSecondFile.LoadOrEmbedded(path, BeforeExpiry, out var warnings);

        Assert.Same(LeapSecondTable.Embedded, table);
        var warning = Assert.Single(warnings);
        Assert.Contains("hash mismatch", warning);
        Assert.Contains("using the embedded leap-second table (expires 2026-06-28)", warning);
    }

    [Fact]
    public void MissingFileFallsBackToTheEmbeddedTableAndReportsExpiryOnce()
    {
        var table = LeapSecondFile.LoadOrEmbedded(Path.Combine(_directory, "absent.list"), AfterExpiry, out var warnings);

        Assert.Same(LeapSecondTable.Embedded, table);
        Assert.Equal(2, warnings.Count);
        Assert.Contains("not found", warnings[0]);
        Assert.Equal("leap-seconds.list expired on 2026-06-28: leap seconds after that date are unknown", warnings[1]);
    }

    [Fact]
    public void GoodFileIsUsedWithoutWarnings()
    {
        var table = LeapSecondFile.LoadOrEmbedded(Write("leap-seconds.list", EmbeddedText()), BeforeExpiry, out var warnings);

        Assert.Empty(warnings);
        Assert.Equal(LeapSecondTable.Embedded.Entries, table.Entries);
    }

    [Fact]
    public void NewerFileWinsOverTheEmbeddedCopy()
    {
        const string newer = """
            #@	4100000000
            3692217600	37
            3976300800	38
            """;
        var table = LeapSecondFile.LoadOrEmbedded(Write("newer.list", newer), AfterExpiry, out var warnings);

        Assert.Equal(38, table.TaiMinusUtcAt(Instant<Utc>.FromSeconds(3_976_300_800 - 2_208_988_800)));
        Assert.Contains(warnings, w => w.Contains("no #h", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Contains("expired", StringComparison.Ordinal));
    }

    [Fact]
    public void OlderFileLosesToTheEmbeddedCopy()
    {
        const string older = """
            #@	3900000000
            3644697600	36
            3692217600	37
            """;
        var table = LeapSecondFile.LoadOrEmbedded(Write("older.list", older), BeforeExpiry, out var warnings);

        Assert.Same(LeapSecondTable.Embedded, table);
        Assert.Contains(warnings, w => w.Contains("before the embedded leap-second table", StringComparison.Ordinal));
    }
}
