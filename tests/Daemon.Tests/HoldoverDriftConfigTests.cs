using Sync.Daemon.Configuration;
using Sync.Daemon.Pipeline;
using Sync.Filters.Estimation;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>sources:holdoverDriftPpbPerS reaches the Kalman estimator's holdover bound.</summary>
public class HoldoverDriftConfigTests
{
    private static ConfigurationLoadResult Load(params (string Key, string Value)[] overrides) =>
        ConfigurationLoader.Load(new ConfigurationInputs
        {
            Overrides = overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)).ToList(),
        });

    [Fact]
    public void TheKeyReachesTheEstimator()
    {
        var options = Assert.IsType<VirtsyncOptions>(Load(("sources:holdoverDriftPpbPerS", "7.5")).Options);

        Assert.Equal(7.5, options.ToEngineOptions().Kalman.HoldoverDriftPpbPerS);
    }

    [Fact]
    public void TheDefaultIsTheEstimators()
    {
        var engine = Assert.IsType<VirtsyncOptions>(Load().Options).ToEngineOptions();

        Assert.Equal(new KalmanOptions().HoldoverDriftPpbPerS, engine.Kalman.HoldoverDriftPpbPerS);
    }

    /// <summary>Through the estimator the key builds: 60 s without a sample after reads every second, the bound covers
    /// D (60 - 1.5)^2 / 2 (1.7 us at 1 ppb/s, 17 us at 10): a larger assumed drift widens it by about that.</summary>
    [Fact]
    public void ALargerDriftWidensTheHoldoverBound()
    {
        double BoundAfterOutageNs(string ppbPerS)
        {
            var options = Assert.IsType<VirtsyncOptions>(Load(("sources:holdoverDriftPpbPerS", ppbPerS)).Options).ToEngineOptions();
            var estimator = new KalmanEstimator(options.Kalman);
            var start = new Instant<Utc>(1_000_000_000_000_000_000);
            for (var i = 0; i < 60; i++)
                estimator.Add(new OffsetSample(start + Duration.FromSeconds(i), Duration.FromNanoseconds(i % 2 == 0 ? 3 : -3),
                    Duration.FromNanoseconds(10), Duration.FromNanoseconds(5)));
            return estimator.EstimateAt(start + Duration.FromSeconds(59 + 60))!.ErrorBound.Nanoseconds;
        }

        double quiet = BoundAfterOutageNs("0"), one = BoundAfterOutageNs("1"), ten = BoundAfterOutageNs("10");
        Assert.InRange(one - quiet, 1_000, 2_500);
        Assert.InRange(ten - quiet, 10 * 1_000, 10 * 2_500);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("fast")]
    public void ABadValueNamesTheKey(string value)
    {
        var loaded = Load(("sources:holdoverDriftPpbPerS", value));

        Assert.Null(loaded.Options);
        Assert.Equal("sources:holdoverDriftPpbPerS", Assert.Single(loaded.Errors).Key);
    }
}
