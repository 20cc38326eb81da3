using Microsoft.Extensions.Time.Testing;
using Sync.Clock.Abstractions;
using Sync.Clock.Simulation;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Pipeline;
using Sync.Daemon.Simulation;

namespace Sync.Daemon.Tests.Simulation;

/// <summary>
/// `sync`'s own composition (<see cref="SyncService"/>: the leap-second file, the clocks as chosen, sources:combine,
/// the loop) on a simulated device that serves TAI and UTC, on fake time: the leap file is missing, so the guest has
/// the embedded table (expired 2026-06-28), and a leap it does not know happens 5 minutes in. The kernel's TAI offset
/// comes from the device, as in `simulate` (EndToEnd TaiMinusUtcSimulationTests).
/// </summary>
public sealed class SyncServiceTaiMinusUtcTests
{
    private static readonly TimeSpan ReadInterval = TimeSpan.FromSeconds(1);

    private static async Task<(int KernelTai, int TrueTai, Filters.Status.SyncSnapshot Last, ListLogger Log)> Sync(bool combine, double seconds)
    {
        var scenario = ScenarioCatalog.Get("leap-unannounced") with
        {
            StartUtc = "2026-12-31T23:55:00Z",
            Events = [new ScenarioEvent { TS = 300, Kind = ScenarioEvent.Leap, LeapDirection = "insert" }],
        };
        var world = ScenarioWorld.Create(scenario);
        using var dir = new TempDir();
        var options = new VirtsyncOptions
        {
            Sources = new SourcesOptions
            {
                ReadIntervalSeconds = ReadInterval.TotalSeconds,
                SamplesPerReading = 5,
                Combine = combine,
                LeapSecondsFile = dir.File("no-leap-seconds.list"),
            },
        };
        var time = new FakeTimeProvider();
        var publisher = new SyncStatusPublisher();
        var log = new ListLogger();
        using var published = new SemaphoreSlim(0);
        publisher.Updated += _ => published.Release();
        var service = new SyncService(options, publisher, time, new DaemonExit(new RecordingLifetime()), new OneLoggerFactory(log),
            chrony: null, new SyncEdges(() => ClockResult<IReadOnlyList<IReferenceClock>>.Ok(SimulatedClockSources.Choose(world.Phcs)),
                () => world.GuestClock));

        await service.StartAsync(CancellationToken.None);
        Assert.True(await published.WaitAsync(TimeSpan.FromSeconds(30)));
        for (var t = 1; t < seconds; t++)
        {
            world.AdvanceTo(Math.Max(world.StartTrueNs + t * 1_000_000_000L, world.World.TrueNs));
            time.Advance(ReadInterval);
            Assert.True(await published.WaitAsync(TimeSpan.FromSeconds(30)), $"step {t} published");
        }
        await service.StopAsync(CancellationToken.None);
        return (world.GuestClock.ReadState().Value.TaiOffsetSeconds, world.TrueTaiMinusUtcSeconds, publisher.Current!, log);
    }

    [Fact]
    public async Task WithCombineTheKernelsTaiOffsetComesFromTheDeviceAfterAnUnknownLeap()
    {
        var (kernelTai, trueTai, last, log) = await Sync(combine: true, seconds: 420);

        Assert.Equal(38, trueTai);
        Assert.Equal(38, last.ObservedTaiMinusUtc);
        Assert.Equal(38, kernelTai);
        Assert.Equal(2, last.Sources.Count);
        Assert.DoesNotContain(log.Entries, e => e.Message.StartsWith("TAI - UTC:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutCombineOnlyTheTaiClockIsReadAndTheExpiredTableIsAllThereIs()
    {
        var (kernelTai, trueTai, last, log) = await Sync(combine: false, seconds: 420);

        Assert.Equal(38, trueTai);
        Assert.Null(last.ObservedTaiMinusUtc);
        Assert.Equal(37, kernelTai);
        // Said at the start, with the fix.
        Assert.Contains(log.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && e.Message.StartsWith("TAI - UTC: the leap-second table has expired", StringComparison.Ordinal)
            && e.Message.Contains("set sources:combine = true", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2026-12-01T00:00:00Z", "tai,utc", false, "set sources:combine = true")]
    [InlineData("2026-12-01T00:00:00Z", "tai,utc", true, null)]
    [InlineData("2026-12-01T00:00:00Z", "tai", true, "update sources:leapSecondsFile")]
    [InlineData("2026-12-01T00:00:00Z", "utc,tai", false, null)]
    [InlineData("2026-03-01T00:00:00Z", "tai,utc", false, null)]
    public void TheHintIsGivenWhereAnExpiredTableMeetsAPreferredTaiClock(string now, string clocks, bool combine, string? expected)
    {
        var at = Filters.Time.Instant<Filters.Time.Utc>.FromSeconds(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds());
        var scales = clocks.Split(',').Select(n => Filters.Time.ClockScale.TryParse(n, out var s) ? s : throw new ArgumentException(n)).ToList();
        var hint = SyncService.TaiMinusUtcHint(Filters.Leap.LeapSecondTable.Embedded, at, scales, combine);
        if (expected is null) Assert.Null(hint);
        else Assert.Contains(expected, hint);
    }
}
