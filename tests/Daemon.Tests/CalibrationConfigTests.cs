using Sync.Daemon.Configuration;
using Sync.Daemon.Pipeline;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

public class CalibrationConfigTests
{
    [Fact]
    public void ACalibrationEntryReachesTheEngineByItsPath()
    {
        var loaded = ConfigurationLoader.Load(new ConfigurationInputs
        {
            Overrides = [new("sources:calibration", "/dev/ptp0=-31.2us+-4.5us, /dev/ptp1=2us+-0.8us"), new("sources:combine", "true")],
        });

        var options = Assert.IsType<VirtsyncOptions>(loaded.Options);
        Assert.True(options.Sources.Combine);
        var engine = options.ToEngineOptions();
        Assert.Equal(Duration.FromNanoseconds(-31_200), engine.Calibrations["/dev/ptp0"].Correction);
        Assert.Equal(Duration.FromNanoseconds(4_500), engine.Calibrations["/dev/ptp0"].Allowance);
        Assert.Equal(Duration.FromNanoseconds(800), engine.Calibrations["/dev/ptp1"].Allowance);
    }

    [Theory]
    [InlineData("/dev/ptp0=-31.2+-4.5")]
    [InlineData("ptp0=-31.2us+-4.5us")]
    [InlineData("/dev/ptp0=-31.2us+-4.5")]
    [InlineData("/dev/ptp0=-31.2us+--4.5us")]
    public void ABadEntryNamesTheKeyAndTheForm(string text)
    {
        var loaded = ConfigurationLoader.Load(new ConfigurationInputs
        {
            Overrides = [new("sources:calibration", text)],
        });

        Assert.Null(loaded.Options);
        var error = Assert.Single(loaded.Errors);
        Assert.Equal("sources:calibration", error.Key);
        Assert.Contains("PATH=CORRECTIONus+-ALLOWANCEus", error.ToString());
    }

    [Fact]
    public void TheTextRoundTrips()
    {
        Assert.True(ClockCalibration.TryParse("/dev/ptp_virtio_utc=-31.2us+-4.5us", out var c, out _));
        Assert.Equal("/dev/ptp_virtio_utc=-31.2us+-4.5us", c.ToString());
    }
}
