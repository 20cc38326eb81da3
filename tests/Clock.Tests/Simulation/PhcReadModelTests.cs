using Sync.Clock.Simulation;

namespace Sync.Clock.Tests.Simulation;

public class PhcReadModelTests
{
    private const long S = 1_000_000_000L;

    private static (double MeanDelay, double MeanFraction, double[] Delays) Sample(DelaySettings settings, long atNs = 0, int n = 50_000, ulong seed = 1)
    {
        var model = new PhcReadModel(settings, seed, 0);
        var delays = new double[n];
        double fractionSum = 0;
        for (var i = 0; i < n; i++)
        {
            var timing = model.NextSample(atNs);
            delays[i] = timing.DelayNs;
            Assert.InRange(timing.DeviceReadAfterNs, 0, timing.DelayNs);
            fractionSum += timing.DelayNs > 0 ? (double)timing.DeviceReadAfterNs / timing.DelayNs : 0;
        }
        return (delays.Average(), fractionSum / n, delays);
    }

    [Fact]
    public void ExponentialJitterAddsItsMeanToTheBaseDelay()
    {
        var (mean, fraction, delays) = Sample(new DelaySettings { BaseDelayNs = 20_000, JitterNs = 2_000, AsymmetryFraction = 0.6 });
        Assert.InRange(mean, 21_900, 22_100);
        Assert.InRange(fraction, 0.599, 0.601);
        Assert.True(delays.Min() >= 20_000);
    }

    [Fact]
    public void LognormalJitterHasTheConfiguredMeanAndAHeavierTail()
    {
        var (mean, _, delays) = Sample(new DelaySettings { BaseDelayNs = 1_000, JitterNs = 1_000, JitterDistribution = "lognormal" }, n: 200_000);
        Assert.InRange(mean, 1_950, 2_050);
        var median = delays.Order().ElementAt(delays.Length / 2) - 1_000;
        Assert.InRange(median, 550, 660); // exp(mu) = mean x exp(-1/2) = 607
    }

    [Fact]
    public void BurstsRaiseTheJitterOnlyInsideTheirWindow()
    {
        var settings = new DelaySettings { BaseDelayNs = 1_000, JitterNs = 20, BurstPeriodS = 60, BurstDurationS = 20, BurstJitterNs = 1_000 };
        var quiet = Sample(settings, atNs: 30 * S).MeanDelay;
        var burst = Sample(settings, atNs: 65 * S).MeanDelay;
        Assert.InRange(quiet, 1_015, 1_025);
        Assert.InRange(burst, 1_950, 2_050);
        var model = new PhcReadModel(settings, 1, 0);
        Assert.True(model.InBurstAt(125 * S));
        Assert.False(model.InBurstAt(140 * S));
    }

    [Fact]
    public void OutliersAreRareAndLarge()
    {
        var (_, _, delays) = Sample(new DelaySettings { BaseDelayNs = 1_000, JitterNs = 10, OutlierProbability = 0.01, OutlierDelayNs = 100_000 }, n: 100_000);
        var outliers = delays.Count(d => d > 5_000);
        Assert.InRange(outliers, 850, 1_100); // 1 % x P(exp(100 us) > 4 us) = 0.96 %
    }

    [Fact]
    public void AsymmetrySpreadStaysAroundItsCentre()
    {
        var (_, fraction, _) = Sample(new DelaySettings { BaseDelayNs = 10_000, JitterNs = 0, AsymmetryFraction = 0.3, AsymmetrySpread = 0.2 });
        Assert.InRange(fraction, 0.295, 0.305);
    }

    [Fact]
    public void SameSeedSameDelaysOtherSeedOtherDelays()
    {
        var settings = new DelaySettings { BaseDelayNs = 1_000, JitterNs = 500 };
        Assert.Equal(Sample(settings, n: 100, seed: 8).Delays, Sample(settings, n: 100, seed: 8).Delays);
        Assert.NotEqual(Sample(settings, n: 100, seed: 8).Delays, Sample(settings, n: 100, seed: 9).Delays);
    }

    [Fact]
    public void InvalidSettingsAreRefusedWithTheFieldName()
    {
        var e = Assert.Throws<ArgumentException>(() => new PhcReadModel(new DelaySettings { AsymmetryFraction = 1.5 }, 1, 0));
        Assert.Contains("asymmetry_fraction", e.Message);
    }
}
