using Sync.Clock.Simulation;

namespace Sync.Clock.Tests.Simulation;

public class SimRandomTests
{
    [Fact]
    public void SameSeedGivesSameSequenceAndOtherSeedsDiffer()
    {
        var a = new SimRandom(42);
        var b = new SimRandom(42);
        var c = new SimRandom(43);
        var sameAsC = 0;
        for (var i = 0; i < 100; i++)
        {
            var x = a.NextUInt64();
            Assert.Equal(x, b.NextUInt64());
            if (x == c.NextUInt64()) sameAsC++;
        }
        Assert.Equal(0, sameAsC);
    }

    [Fact]
    public void DerivedStreamsAreIndependentOfEachOther()
    {
        Assert.NotEqual(SimRandom.Derive(7, 1).NextUInt64(), SimRandom.Derive(7, 2).NextUInt64());
        Assert.Equal(SimRandom.Derive(7, 1).NextUInt64(), SimRandom.Derive(7, 1).NextUInt64());
    }

    [Fact]
    public void DistributionsHaveTheirMoments()
    {
        var random = new SimRandom(5);
        const int n = 200_000;
        double sum = 0, sumSquares = 0, expSum = 0, uniformMin = 1, uniformMax = 0;
        for (var i = 0; i < n; i++)
        {
            var g = random.NextGaussian();
            sum += g;
            sumSquares += g * g;
            expSum += random.NextExponential(3);
            var u = random.NextDouble();
            uniformMin = Math.Min(uniformMin, u);
            uniformMax = Math.Max(uniformMax, u);
        }
        Assert.InRange(sum / n, -0.01, 0.01);
        Assert.InRange(sumSquares / n, 0.98, 1.02);
        Assert.InRange(expSum / n, 2.95, 3.05);
        Assert.True(uniformMin >= 0 && uniformMin < 0.001);
        Assert.True(uniformMax < 1 && uniformMax > 0.999);
    }
}
