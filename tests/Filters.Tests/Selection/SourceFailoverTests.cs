using Sync.Filters.Selection;

namespace Sync.Filters.Tests.Selection;

/// <summary>
/// Source selection and failover decided without a clock or a thread: each test plays one step, answering every
/// read the decision asks for with the outcome given for that clock, and checks which clocks were read and which
/// one the step ended on.
/// </summary>
public class SourceFailoverTests
{
    private static (List<int> Read, SourceFailover End) Play(bool combine, params ReadOutcome[] outcomes)
    {
        var read = new List<int>();
        var round = SourceFailover.Start(outcomes.Length, combine);
        while (round.Next is { } i)
        {
            read.Add(i);
            Assert.True(read.Count <= outcomes.Length, "no clock is read twice in a step");
            round = round.After(outcomes[i]);
        }
        return (read, round);
    }

    [Fact]
    public void ThePreferredClockIsReadAndUsedAloneWhenItAnswers()
    {
        var (read, end) = Play(false, ReadOutcome.Answered, ReadOutcome.Answered, ReadOutcome.Answered);
        Assert.Equal([0], read);
        Assert.Equal(0, end.Selected);
        Assert.True(end.Answered);
    }

    [Theory]
    [InlineData(1, ReadOutcome.Unavailable, ReadOutcome.Answered, ReadOutcome.Answered)]
    [InlineData(2, ReadOutcome.Unavailable, ReadOutcome.Unavailable, ReadOutcome.Answered)]
    public void AnUnavailableClockPassesTheStepToTheNextInOrderOfPreference(int used, params ReadOutcome[] outcomes)
    {
        var (read, end) = Play(false, outcomes);
        Assert.Equal(Enumerable.Range(0, used + 1), read);
        Assert.Equal(used, end.Selected);
        Assert.True(end.Answered);
    }

    [Fact]
    public void AnotherErrorIsTheClocksOwnMissAndEndsTheStepWithoutFailover()
    {
        var (read, end) = Play(false, ReadOutcome.Failed, ReadOutcome.Answered);
        Assert.Equal([0], read);
        Assert.Equal(0, end.Selected);
        Assert.False(end.Answered);
    }

    [Fact]
    public void AReadingDroppedAfterTheClockAnsweredEndsTheStepOnThatClock()
    {
        var (read, end) = Play(false, ReadOutcome.Unavailable, ReadOutcome.Dropped, ReadOutcome.Answered);
        Assert.Equal([0, 1], read);
        Assert.Equal(1, end.Selected);
    }

    [Fact]
    public void WhenNoClockAnswersEveryOneIsTriedAndTheStepEndsOnTheLast()
    {
        var (read, end) = Play(false, ReadOutcome.Unavailable, ReadOutcome.Unavailable, ReadOutcome.Unavailable);
        Assert.Equal([0, 1, 2], read);
        Assert.Equal(2, end.Selected);
        Assert.False(end.Answered);
    }

    [Fact]
    public void EveryStepStartsAgainAtThePreferredClock()
    {
        var first = Play(false, ReadOutcome.Unavailable, ReadOutcome.Answered);
        Assert.Equal(1, first.End.Selected);
        var next = Play(false, ReadOutcome.Answered, ReadOutcome.Answered);
        Assert.Equal([0], next.Read);
        Assert.Equal(0, next.End.Selected);
    }

    [Fact]
    public void CombineReadsEveryClockAndSelectsTheFirstThatAnswered()
    {
        var (read, end) = Play(true, ReadOutcome.Failed, ReadOutcome.Unavailable, ReadOutcome.Answered, ReadOutcome.Answered);
        Assert.True(SourceFailover.Start(4, true).ReadsAll);
        Assert.Equal([0, 1, 2, 3], read);
        Assert.Equal(2, end.Selected);
        Assert.True(end.Answered);
    }

    [Fact]
    public void CombineWithNoAnswerStaysOnThePreferredClock()
    {
        var (read, end) = Play(true, ReadOutcome.Unavailable, ReadOutcome.Failed);
        Assert.Equal([0, 1], read);
        Assert.Equal(0, end.Selected);
        Assert.False(end.Answered);
    }

    [Fact]
    public void CombineWithOneClockIsTheFailoverOfOne()
    {
        Assert.False(SourceFailover.Start(1, true).ReadsAll);
        var (read, end) = Play(true, ReadOutcome.Answered);
        Assert.Equal([0], read);
        Assert.Equal(0, end.Selected);
    }

    [Fact]
    public void WithoutClocksNothingIsReadAndAnotherReadIsRefused()
    {
        var round = SourceFailover.Start(0, false);
        Assert.Null(round.Next);
        Assert.Throws<InvalidOperationException>(() => round.After(ReadOutcome.Answered));
        Assert.Throws<ArgumentOutOfRangeException>(() => SourceFailover.Start(-1, false));
    }
}
