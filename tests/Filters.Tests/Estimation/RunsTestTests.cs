using Sync.Filters.Estimation;

namespace Sync.Filters.Tests.Estimation;

public class RunsTestTests
{
    [Theory]
    [InlineData(3, 3)]
    [InlineData(4, 6)]
    [InlineData(5, 2)]
    public void ExactDistributionMatchesEnumeration(int n1, int n2)
    {
        int n = n1 + n2;
        var counts = new Dictionary<int, int>();
        int total = 0;
        for (int mask = 0; mask < 1 << n; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != n1) continue;
            var signs = Enumerable.Range(0, n).Select(i => (mask >> i & 1) == 1 ? 1.0 : -1.0).ToArray();
            int runs = RunsTest.CountRuns(signs, out _, out _);
            counts[runs] = counts.GetValueOrDefault(runs) + 1;
            total++;
        }
        double cumulative = 0;
        for (int r = 2; r <= n; r++)
        {
            cumulative += counts.GetValueOrDefault(r) / (double)total;
            Assert.Equal(cumulative, RunsTest.LowerTailProbability(r, n1, n2), 12);
        }
    }

    [Fact]
    public void TwoLongRunsAreNonRandomAlternationIsNot()
    {
        var blocks = Enumerable.Range(0, 20).Select(i => i < 10 ? 1.0 : -1.0).ToArray();
        var alternating = Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? 1.0 : -1.0).ToArray();
        Assert.True(RunsTest.IsNonRandom(blocks, 0.05));
        Assert.False(RunsTest.IsNonRandom(alternating, 0.05));
    }
}
