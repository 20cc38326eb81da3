using Sync.Filters.Leap;
using Sync.Filters.Time;
using static Sync.Filters.Tests.Leap.LeapTestData;

namespace Sync.Filters.Tests.Leap;

public class LeapSecondListParserTests
{
    private const string SmallList = """
        # a hand-made list without a hash
        #$	3960835200
        #@	4000000000
        3644697600	36	# 1 Jul 2015
        3692217600	37	# 1 Jan 2017
        """;

    [Fact]
    public void EmbeddedListParsesWithAValidHashAndNoWarnings()
    {
        var result = LeapSecondTable.Parse(EmbeddedText());

        Assert.True(result.IsUsable, result.Error);
        Assert.Empty(result.Warnings);
        var table = result.Table!;
        Assert.Equal(28, table.Entries.Count);
        Assert.Equal(new LeapSecond(Instant<Utc>.FromSeconds(63_072_000), 10), table.Entries[0]); // 1972-01-01
        Assert.Equal(new LeapSecond(Leap2016, 37), table.Entries[^1]);
        Assert.Equal(EmbeddedExpiry, table.Expires);
        Assert.Equal(Instant<Utc>.FromSeconds(1_751_846_400), result.LastUpdated); // 2025-07-07
        Assert.Equal(27, table.Transitions.Count);
    }

    [Fact]
    public void EmbeddedTableIsTheParsedResource()
    {
        Assert.Equal(LeapSecondTable.Parse(EmbeddedText()).Table!.Entries, LeapSecondTable.Embedded.Entries);
        Assert.Equal(EmbeddedExpiry, LeapSecondTable.Embedded.Expires);
    }

    [Fact]
    public void ChangedDataLineFailsTheHash()
    {
        // one day later: still a midnight in order, so only the hash can tell
        var corrupt = EmbeddedText().Replace("3692217600", "3692304000", StringComparison.Ordinal);
        Assert.NotEqual(EmbeddedText(), corrupt);

        var result = LeapSecondTable.Parse(corrupt);

        Assert.Null(result.Table);
        Assert.Contains("hash mismatch", result.Error);
    }

    [Fact]
    public void ChangedExpiryFailsTheHash()
    {
        var result = LeapSecondTable.Parse(EmbeddedText().Replace("3991593600", "4991593600", StringComparison.Ordinal));

        Assert.Null(result.Table);
        Assert.Contains("hash mismatch", result.Error);
    }

    [Fact]
    public void CommentsDoNotTakePartInTheHash()
    {
        var result = LeapSecondTable.Parse(EmbeddedText().Replace("# 1 Jan 2017", "# 2 Feb 2099 extra 123", StringComparison.Ordinal)
            + "\n# a trailing comment with digits 42\n");

        Assert.True(result.IsUsable, result.Error);
    }

    [Fact]
    public void HashWordsWithoutLeadingZerosAndCrLfLineEndsAreAccepted()
    {
        var text = EmbeddedText().Replace("\n", "\r\n", StringComparison.Ordinal)
            .Replace("2f002a53", "2F002A53", StringComparison.Ordinal);

        Assert.True(LeapSecondTable.Parse(text).IsUsable);
    }

    [Theory]
    [InlineData("#h\t49db2447 571e5e1b 2f002a53 9c8da8e4", "#h needs five")]
    [InlineData("#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49g", "#h needs five")]
    [InlineData("#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 139b8e49e", "#h needs five")]
    public void MalformedHashLineIsAnError(string hashLine, string expected)
    {
        var text = string.Join('\n', EmbeddedText().Split('\n').Select(l => l.StartsWith("#h", StringComparison.Ordinal) ? hashLine : l));

        var result = LeapSecondTable.Parse(text);

        Assert.Null(result.Table);
        Assert.Contains(expected, result.Error);
    }

    [Theory]
    [InlineData("3692217600\t3O\t# letter O", "line 5", "not a TAI-UTC offset")]
    [InlineData("3692217600", "line 5", "two numbers")]
    [InlineData("3692217600\t37\t12", "line 5", "two numbers")]
    [InlineData("3692217601\t37", "line 5", "not a UTC midnight")]
    [InlineData("3644697600\t37", "line 5", "increasing time order")]
    [InlineData("3692217600\t38", "line 5", "exactly 1")]
    [InlineData("-3692217600\t37", "line 5", "not an NTP timestamp")]
    [InlineData("99999999999999999999\t37", "line 5", "not an NTP timestamp")]
    public void CorruptDataLineIsAnErrorNamingTheLine(string badLine, string lineName, string expected)
    {
        var text = SmallList.Replace("3692217600\t37\t# 1 Jan 2017", badLine, StringComparison.Ordinal);

        var result = LeapSecondTable.Parse(text);

        Assert.Null(result.Table);
        Assert.False(result.IsUsable);
        Assert.Contains(lineName, result.Error);
        Assert.Contains(expected, result.Error);
    }

    [Theory]
    [InlineData("#@\tsoon", "#@ needs one NTP timestamp")]
    [InlineData("#$\t", "#$ needs one NTP timestamp")]
    public void MalformedDateLinesAreErrors(string line, string expected)
    {
        var marker = line[..2];
        var text = string.Join('\n', SmallList.Split('\n').Select(l => l.StartsWith(marker, StringComparison.Ordinal) ? line : l));

        var result = LeapSecondTable.Parse(text);

        Assert.Null(result.Table);
        Assert.Contains(expected, result.Error);
    }

    [Fact]
    public void DuplicateExpiryIsAnError()
    {
        var result = LeapSecondTable.Parse(SmallList + "\n#@\t4100000000\n");

        Assert.Contains("more than one #@", result.Error);
    }

    [Fact]
    public void MissingHashIsAWarningNotAnError()
    {
        var result = LeapSecondTable.Parse(SmallList);

        Assert.True(result.IsUsable, result.Error);
        Assert.Contains(result.Warnings, w => w.Contains("no #h hash line", StringComparison.Ordinal));
        Assert.Equal(2, result.Table!.Entries.Count);
        Assert.Equal(Instant<Utc>.FromSeconds(4_000_000_000 - 2_208_988_800), result.Table.Expires);
    }

    [Fact]
    public void MissingExpiryIsAWarningAndTheTableNeverExpires()
    {
        var result = LeapSecondTable.Parse(SmallList.Replace("#@\t4000000000", "", StringComparison.Ordinal));

        Assert.True(result.IsUsable);
        Assert.Null(result.Table!.Expires);
        Assert.Contains(result.Warnings, w => w.Contains("no #@ expiry line", StringComparison.Ordinal));
        Assert.False(result.Table.IsExpiredAt(Instant<Utc>.FromSeconds(4_000_000_000)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only comments\n#\n")]
    [InlineData("\0\0\0 binary garbage \u00ff")]
    public void TextWithoutDataIsAnError(string text)
    {
        var result = LeapSecondTable.Parse(text);

        Assert.Null(result.Table);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public void NullTextIsAnError() => Assert.NotNull(LeapSecondListParser.Parse(null).Error);

    [Fact]
    public void ExpiredTableWarnsWithTheDate()
    {
        var result = LeapSecondTable.Parse(EmbeddedText(), EmbeddedExpiry + new Duration(Second));

        Assert.True(result.IsUsable);
        Assert.Equal(["leap-seconds.list expired on 2026-06-28: leap seconds after that date are unknown"], result.Warnings);
    }

    [Fact]
    public void TableBeforeItsExpiryDoesNotWarn()
    {
        var result = LeapSecondTable.Parse(EmbeddedText(), EmbeddedExpiry - new Duration(1));

        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void FormatDateHandlesInstantsBefore1970()
    {
        Assert.Equal("1969-12-31", LeapSecondListParser.FormatDate(new Instant<Utc>(-1)));
        Assert.Equal("1972-01-01", LeapSecondListParser.FormatDate(Instant<Utc>.FromSeconds(63_072_000)));
    }
}
