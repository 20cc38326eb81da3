using Sync.Filters.Selection;
using Sync.Filters.Time;

namespace Sync.Filters.Tests.Selection;

public class SourceCombinerTests
{
    private static SourceInterval I(string id, long offsetUs, long halfWidthUs, int preference = 0) =>
        new(id, Duration.FromMicroseconds(offsetUs), Duration.FromMicroseconds(halfWidthUs), preference);

    [Fact]
    public void TheSourceOutsideTheMajoritysIntersectionIsAFalseticker()
    {
        var result = SourceCombiner.Combine([I("a", 0, 10), I("b", 5, 10, 1), I("c", 100, 10, 2)], null);

        Assert.True(result.Majority);
        Assert.Equal(SourceVerdict.Falseticker, result.Verdicts["c"]);
        Assert.Contains(result.Verdicts["a"], new[] { SourceVerdict.Selected, SourceVerdict.Truechimer });
        Assert.Contains(result.Selected, new[] { "a", "b" });
    }

    [Fact]
    public void TheNarrowestAgreeingSourceIsSelected()
    {
        var result = SourceCombiner.Combine([I("wide", -30, 60), I("narrow", 0, 4, 1)], null);

        Assert.Equal("narrow", result.Selected);
        Assert.Equal(SourceVerdict.Truechimer, result.Verdicts["wide"]);
        Assert.True(result.Majority);
    }

    [Fact]
    public void TheCurrentSourceStaysWhileItAgreesUnlessAnotherIsMuchNarrower()
    {
        Assert.Equal("wide", SourceCombiner.Combine([I("wide", -30, 60), I("narrow", 0, 35, 1)], "wide").Selected);
        Assert.Equal("narrow", SourceCombiner.Combine([I("wide", -30, 60), I("narrow", 0, 4, 1)], "wide").Selected);
    }

    [Fact]
    public void TwoThatDisagreeKeepTheCurrentOneWithoutAMajority()
    {
        var result = SourceCombiner.Combine([I("a", 0, 5), I("b", 50, 5, 1)], "b");

        Assert.False(result.Majority);
        Assert.Equal("b", result.Selected);
        Assert.Equal(SourceVerdict.Falseticker, result.Verdicts["a"]);
    }

    [Fact]
    public void TouchingIntervalsAgree()
    {
        var result = SourceCombiner.Combine([I("a", 0, 5), I("b", 10, 5, 1)], null);

        Assert.True(result.Majority);
        Assert.DoesNotContain(SourceVerdict.Falseticker, result.Verdicts.Values);
    }

    [Fact]
    public void NoSourcesSelectNothing() =>
        Assert.Null(SourceCombiner.Combine([], "a").Selected);
}
