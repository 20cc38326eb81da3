using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Sync.Clock.Linux;
using Sync.Daemon.ClockBound;
using Sync.Daemon.Configuration;
using Sync.Daemon.Hosting;
using Sync.Daemon.Modes;
using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>
/// A ClockBound v2 client written from the protocol text (docs/operations.md, peers.md), not from the writer's
/// constants: magic bytes 41 4D 5A 4E 43 42 02 00, u32 size 80 at 8, u16 version 2 at 12, u16 generation at 14 (even
/// and unchanged around the copy), as-of (i64 s, i64 ns) at 16, void-after at 32, i64 bound ns at 48, u64 disruption
/// marker at 56, u32 max drift ppb at 64, i32 status at 68, u8 disruption support at 72. Little endian (x86-64/arm64).
/// </summary>
internal static class ClockBoundTestReader
{
    public sealed record Segment(ushort Generation, long AsOfNs, long VoidAfterNs, long BoundNs, ulong Marker, uint MaxDriftPpb, int Status, byte Support);

    public static Segment? Decode(ReadOnlySpan<byte> b)
    {
        if (b.Length < 80) return null;
        if (!b[..8].SequenceEqual((byte[])[0x41, 0x4D, 0x5A, 0x4E, 0x43, 0x42, 0x02, 0x00])) return null;
        if (BinaryPrimitives.ReadUInt32LittleEndian(b[8..]) != 80 || BinaryPrimitives.ReadUInt16LittleEndian(b[12..]) != 2) return null;
        var generation = BinaryPrimitives.ReadUInt16LittleEndian(b[14..]);
        return new Segment(generation, Ts(b, 16), Ts(b, 32), BinaryPrimitives.ReadInt64LittleEndian(b[48..]), BinaryPrimitives.ReadUInt64LittleEndian(b[56..]),
            BinaryPrimitives.ReadUInt32LittleEndian(b[64..]), BinaryPrimitives.ReadInt32LittleEndian(b[68..]), b[72]);
    }

    private static long Ts(ReadOnlySpan<byte> b, int at) =>
        BinaryPrimitives.ReadInt64LittleEndian(b[at..]) * 1_000_000_000L + BinaryPrimitives.ReadInt64LittleEndian(b[(at + 8)..]);

    public static Segment ReadFile(string path) => Decode(File.ReadAllBytes(path)) ?? throw new InvalidDataException($"{path} is not a ClockBound v2 segment");

    /// <summary>The client's interval: realtime -+ (bound + max drift x (now - as-of)); null past void-after.</summary>
    public static (long Earliest, long Latest)? Interval(Segment s, long realtimeNs, long monotonicCoarseNs)
    {
        if (monotonicCoarseNs > s.VoidAfterNs) return null;
        var widened = s.BoundNs + (long)Math.Ceiling(s.MaxDriftPpb * 1e-9 * Math.Max(0, monotonicCoarseNs - s.AsOfNs));
        return (realtimeNs - widened, realtimeNs + widened);
    }
}

internal sealed class FakeMonotonic(long startNs) : IMonotonicCoarseClock
{
    public long Ns = startNs;
    public Instant<Monotonic> Now() => new(Ns);
}

public sealed class ClockBoundTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static ClockBoundRecord Record(long asOfNs, long boundNs, ClockBoundStatus status = ClockBoundStatus.Synchronized) => new(
        new Instant<Monotonic>(asOfNs), new Instant<Monotonic>(asOfNs + 10_000_000_000), Duration.FromNanoseconds(boundNs),
        0xDEADBEEF_00000007UL, 50_000, status, DisruptionSupport: true);

    [Fact]
    public void PublishedRecordReadsBackThroughTheProtocolText()
    {
        var path = _dir.File("sub/shm0");
        using (var writer = ClockBoundWriter.Create(path))
            writer.Publish(Record(12_345_678_901_234, 9_876, ClockBoundStatus.FreeRunning));

        Assert.Equal(80, new FileInfo(path).Length);
        var s = ClockBoundTestReader.ReadFile(path);
        Assert.Equal(2, s.Generation);
        Assert.Equal(12_345_678_901_234, s.AsOfNs);
        Assert.Equal(12_345_678_901_234 + 10_000_000_000, s.VoidAfterNs);
        Assert.Equal(9_876, s.BoundNs);
        Assert.Equal(0xDEADBEEF_00000007UL, s.Marker);
        Assert.Equal(50_000u, s.MaxDriftPpb);
        Assert.Equal(2, s.Status);
        Assert.Equal(1, s.Support);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(12_345, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16)));
        Assert.Equal(678_901_234, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(24)));
        Assert.All(bytes[73..80], b => Assert.Equal(0, b));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
    }

    [Fact]
    public void GenerationStepsByTwoWrapsToTwoAndSurvivesARestart()
    {
        var path = _dir.File("shm0");
        using (var writer = ClockBoundWriter.Create(path))
        {
            Assert.Equal(0, writer.CurrentGeneration);
            writer.Publish(Record(1, 1));
            Assert.Equal(2, writer.CurrentGeneration);
            writer.Publish(Record(2, 2));
            Assert.Equal(4, writer.CurrentGeneration);
            var seen = new HashSet<ushort>();
            for (var i = 0; i < 40_000; i++)
            {
                writer.Publish(Record(i, i));
                Assert.True(writer.CurrentGeneration % 2 == 0 && writer.CurrentGeneration != 0);
                seen.Add(writer.CurrentGeneration);
            }
            Assert.Contains((ushort)65534, seen);
            Assert.DoesNotContain((ushort)0, seen);
        }
        var before = ClockBoundTestReader.ReadFile(path).Generation;
        using (var again = ClockBoundWriter.Create(path))
        {
            Assert.Equal(before, again.CurrentGeneration);
            again.Publish(Record(7, 7));
        }
        Assert.Equal(before + 2, ClockBoundTestReader.ReadFile(path).Generation);
        Assert.Equal(2, ClockBoundSegment.EndGeneration(ClockBoundSegment.BeginGeneration(65534)));
    }

    [Fact]
    public async Task AConcurrentReaderFollowingTheProtocolNeverSeesATornRecord()
    {
        var path = _dir.File("shm0");
        using var writer = ClockBoundWriter.Create(path);
        writer.Publish(Record(0, 0));
        using var stop = new CancellationTokenSource();
        long accepted = 0, torn = 0;
        var reader = Task.Run(() =>
        {
            using var map = MemoryMappedFile.CreateFromFile(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), null, 80,
                MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            using var view = map.CreateViewAccessor(0, 80, MemoryMappedFileAccess.Read);
            var copy = new byte[80];
            while (!stop.IsCancellationRequested)
            {
                var g1 = view.ReadUInt16(14);
                if (g1 % 2 != 0) continue;
                Thread.MemoryBarrier();
                view.ReadArray(0, copy, 0, 80);
                Thread.MemoryBarrier();
                if (view.ReadUInt16(14) != g1) continue;
                var s = ClockBoundTestReader.Decode(copy)!;
                accepted++;
                // Every record the writer makes has bound = 3 x as-of and void-after = as-of + 10 s.
                if (s.BoundNs != 3 * s.AsOfNs || s.VoidAfterNs != s.AsOfNs + 10_000_000_000) torn++;
            }
        });
        var deadline = DateTime.UtcNow.AddSeconds(1.5);
        for (long i = 1; DateTime.UtcNow < deadline; i++)
            writer.Publish(Record(i * 1_000_000_007, 3 * i * 1_000_000_007));
        stop.Cancel();
        await reader.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(accepted > 100, $"the reader accepted only {accepted} copies");
        Assert.Equal(0, torn);
    }

    [Fact]
    public void ClientIntervalWidensWithMaxDriftAndGoesVoid()
    {
        var s = new ClockBoundTestReader.Segment(2, AsOfNs: 1_000_000_000, VoidAfterNs: 11_000_000_000, BoundNs: 10_000, 0, 50_000, 1, 0);
        Assert.Equal((990_000L, 1_010_000L), ClockBoundTestReader.Interval(s, 1_000_000, 1_000_000_000));
        // 0.2 s later at 50 ppm: +10 us.
        Assert.Equal((980_000L, 1_020_000L), ClockBoundTestReader.Interval(s, 1_000_000, 1_200_000_000));
        Assert.Null(ClockBoundTestReader.Interval(s, 1_000_000, 11_000_000_001));
    }

    private static ClockBoundPolicy Policy(double maxDriftPpm = 50) => new(new ClockBoundOptions { MaxDriftPpm = maxDriftPpm },
        Duration.FromMilliseconds(250), Duration.FromMilliseconds(2000));

    [Fact]
    public void PolicyMapsEngineStatesToClockBoundStatus()
    {
        var policy = Policy();
        var t = new Instant<Monotonic>(5_000_000_000);
        Assert.Equal(ClockBoundStatus.Synchronized, policy.Next(Snapshots.Tracking(), t, null).Status);
        Assert.Equal(ClockBoundStatus.FreeRunning, policy.Next(Snapshots.Tracking(state: SyncState.Holdover), t, null).Status);
        Assert.Equal(ClockBoundStatus.Disrupted, policy.Next(Snapshots.Tracking(state: SyncState.Recovery), t, null).Status);
        Assert.Equal(ClockBoundStatus.Unknown, policy.Next(Snapshots.Acquiring(), t, null).Status);

        var r = policy.Next(Snapshots.Tracking(), t, null);
        Assert.Equal(Duration.FromMicroseconds(2.4), r.Bound);
        Assert.Equal(t, r.AsOf);
        Assert.Equal(t + Duration.FromSeconds(10), r.VoidAfter);
        Assert.Equal(50_000u, r.MaxDriftPpb);
        Assert.False(r.DisruptionSupport);
        Assert.Equal(7_500u, Policy(7.5).Next(Snapshots.Tracking(), t, null).MaxDriftPpb);
    }

    [Fact]
    public void ValidityCoversMissedReadsAndASlowRead()
    {
        var slow = new ClockBoundPolicy(new ClockBoundOptions(), Duration.FromSeconds(8), Duration.FromSeconds(5));
        Assert.Equal(Duration.FromSeconds(29), slow.Validity);
        Assert.Equal(ClockBoundPolicy.MinimumValidity, Policy().Validity);
    }

    [Fact]
    public void ChangedVmclockMarkerIsDisruptedUntilFreshSamples()
    {
        var policy = Policy();
        var t = new Instant<Monotonic>(1);
        var first = policy.Next(Snapshots.Tracking(sources: Snapshots.Tai(samples: 100)), t, 5);
        Assert.Equal(ClockBoundStatus.Synchronized, first.Status);
        Assert.True(first.DisruptionSupport);
        Assert.Equal(5UL, first.DisruptionMarker);
        Assert.Equal(ClockBoundStatus.Disrupted, policy.Next(Snapshots.Tracking(sources: Snapshots.Tai(samples: 101)), t, 6).Status);
        Assert.Equal(ClockBoundStatus.Disrupted, policy.Next(Snapshots.Tracking(sources: Snapshots.Tai(samples: 101 + ClockBoundPolicy.SamplesAfterDisruption - 1)), t, 6).Status);
        Assert.Equal(ClockBoundStatus.Synchronized, policy.Next(Snapshots.Tracking(sources: Snapshots.Tai(samples: 101 + ClockBoundPolicy.SamplesAfterDisruption)), t, 6).Status);
    }

    [Fact]
    public async Task PublisherWritesEverySnapshotAndVoidsTheSegmentOnStop()
    {
        var path = _dir.File("clockbound/shm0");
        var provider = new FakeStatusProvider();
        var mono = new FakeMonotonic(77_000_000_000);
        var options = new ClockBoundOptions { Path = path };
        using var publisher = new ClockBoundPublisher(options, new ClockBoundPolicy(options, Duration.FromMilliseconds(250), Duration.FromSeconds(2)),
            provider, mono, () => null, NullLogger<ClockBoundPublisher>.Instance);
        await publisher.StartAsync(CancellationToken.None);
        var start = ClockBoundTestReader.ReadFile(path);
        Assert.Equal(0, start.Status);
        Assert.Equal(16_000_000_000, start.BoundNs);

        mono.Ns += 30_000_000_000;
        provider.Publish(Snapshots.Tracking());
        var tracking = ClockBoundTestReader.ReadFile(path);
        Assert.Equal(1, tracking.Status);
        Assert.Equal(2_400, tracking.BoundNs);
        Assert.Equal(107_000_000_000, tracking.AsOfNs);
        Assert.Equal(start.Generation + 2, tracking.Generation);

        provider.Publish(Snapshots.Tracking(state: SyncState.Holdover));
        Assert.Equal(2, ClockBoundTestReader.ReadFile(path).Status);

        mono.Ns += 1_000_000_000;
        await publisher.StopAsync(CancellationToken.None);
        var stopped = ClockBoundTestReader.ReadFile(path);
        Assert.Equal(0, stopped.Status);
        Assert.Equal(stopped.AsOfNs, stopped.VoidAfterNs);
        Assert.Null(ClockBoundTestReader.Interval(stopped, 0, mono.Ns + 1));
        provider.Publish(Snapshots.Tracking());
        Assert.Equal(stopped.Generation, ClockBoundTestReader.ReadFile(path).Generation);
        Assert.Equal(4, publisher.Published);
    }

    [Fact]
    public async Task PublisherThatCannotCreateTheSegmentLeavesTheLoopAlone()
    {
        var blocker = _dir.File("file");
        File.WriteAllText(blocker, "");
        var options = new ClockBoundOptions { Path = Path.Combine(blocker, "shm0") };
        var provider = new FakeStatusProvider();
        using var publisher = new ClockBoundPublisher(options, new ClockBoundPolicy(options, Duration.FromSeconds(1), Duration.FromSeconds(1)),
            provider, new FakeMonotonic(1), () => null, NullLogger<ClockBoundPublisher>.Instance);
        await publisher.StartAsync(CancellationToken.None);
        provider.Publish(Snapshots.Tracking());
        Assert.Equal(0, publisher.Published);
    }

    [Fact]
    public void MonotonicCoarseClockAdvancesWithTheKernelClock()
    {
        var a = MonotonicCoarseClock.Instance.Now();
        Thread.Sleep(50);
        var b = MonotonicCoarseClock.Instance.Now();
        var elapsed = b - a;
        Assert.InRange(elapsed.Nanoseconds, 30_000_000, 5_000_000_000);
    }

    [Fact]
    public void ClockBoundKeysAreReadAndValidated()
    {
        var path = _dir.File("c.json");
        File.WriteAllText(path, """{ "clockBound": { "enabled": false, "path": "/run/cb/shm0", "maxDriftPpm": 15 } }""");
        var o = ConfigurationLoader.Load(new ConfigurationInputs { ConfigPath = path }).Options!;
        Assert.False(o.ClockBound.Enabled);
        Assert.Equal("/run/cb/shm0", o.ClockBound.Path);
        Assert.Equal(15_000u, o.ClockBound.MaxDriftPpb);

        File.WriteAllText(path, "{}");
        var d = ConfigurationLoader.Load(new ConfigurationInputs { ConfigPath = path }).Options!;
        Assert.True(d.ClockBound.Enabled);
        Assert.Equal("/var/run/clockbound/shm0", d.ClockBound.Path);
        Assert.Equal(50, d.ClockBound.MaxDriftPpm);

        File.WriteAllText(path, """{ "clockBound": { "maxDriftPpm": -1, "path": "shm0", "maxDrift": 3 } }""");
        var bad = ConfigurationLoader.Load(new ConfigurationInputs { ConfigPath = path });
        Assert.False(bad.IsValid);
        var text = string.Join("\n", bad.Errors);
        Assert.Contains("clockBound:maxDriftPpm = -1", text);
        Assert.Contains("clockBound:path = shm0 is not an absolute path", text);
        Assert.Contains("clockBound:maxDrift", text);
        Assert.Contains("clockBound:maxDriftPpm", bad.Errors.Single(e => e.Key == "clockBound:maxDrift").Problem);
    }

    [Fact]
    public void SyncModeRegistersThePublisherOnlyWhenItSteersTheClock()
    {
        static bool Registered(VirtsyncOptions options)
        {
            var services = new ServiceCollection();
            SyncLoopWiring.TryAdd(services, options);
            return services.Any(s => s.ServiceType == typeof(ClockBoundPublisher));
        }
        Assert.True(Registered(new VirtsyncOptions()));
        Assert.False(Registered(new VirtsyncOptions { ClockBound = new ClockBoundOptions { Enabled = false } }));
        Assert.False(Registered(new VirtsyncOptions { Chrony = new ChronyOptions { Enabled = true } }));
        Assert.False(Registered(new VirtsyncOptions { DryRun = true }));
    }

    [Fact]
    public async Task PublisherRunsInsideTheSyncHostAndWritesTheConfiguredPath()
    {
        var path = _dir.File("rt/shm0");
        var options = new VirtsyncOptions { ClockBound = new ClockBoundOptions { Path = path } };
        var services = new ServiceCollection();
        services.AddLogging();
        SyncLoopWiring.TryAdd(services, options);
        using var sp = services.BuildServiceProvider();
        var publisher = sp.GetRequiredService<ClockBoundPublisher>();
        await publisher.StartAsync(CancellationToken.None);
        sp.GetRequiredService<SyncStatusPublisher>().Publish(Snapshots.Tracking());
        Assert.Equal(1, ClockBoundTestReader.ReadFile(path).Status);
        await publisher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void UnitCreatesTheSegmentDirectoryAndExampleConfigNamesTheKeys()
    {
        var root = ConfigurationTests.RepoRoot();
        var unit = File.ReadAllText(Path.Combine(root, "deploy/systemd/virtsyncd.service"));
        var directories = System.Text.RegularExpressions.Regex.Match(unit, @"(?m)^RuntimeDirectory=(.*)$").Groups[1].Value.Split(' ');
        Assert.Contains(Path.GetFileName(Path.GetDirectoryName(ClockBoundSegment.DefaultPath)), directories);
        Assert.Contains("virtsync", directories);
        var example = File.ReadAllText(Path.Combine(root, "deploy/virtsync.json"));
        Assert.Contains("\"clockBound\"", example);
        Assert.Contains("\"maxDriftPpm\": 50", example);
    }

    [Fact]
    public async Task AShortFileIsReplacedWholeAndAWatcherNeverSeesAShortSegment()
    {
        var path = _dir.File("shm0");
        File.WriteAllBytes(path, []); // left by a writer that crashed before sizing it
        using (var writer = ClockBoundWriter.Create(path))
            writer.Publish(Record(1, 1));
        Assert.Equal(80, new FileInfo(path).Length);
        Assert.Equal(1, ClockBoundTestReader.ReadFile(path).BoundNs);
        Assert.Equal(["shm0"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));

        // A client may open the path at any moment: whenever it exists, it is a whole segment.
        var fresh = _dir.File("fresh/shm0");
        Directory.CreateDirectory(Path.GetDirectoryName(fresh)!);
        var shortSeen = 0;
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var f = new FileStream(fresh, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    if (f.Length != 80) shortSeen++;
                }
                catch (IOException) { }
            }
        });
        for (var i = 0; i < 200; i++)
        {
            File.Delete(fresh);
            using var writer = ClockBoundWriter.Create(fresh);
        }
        stop.Cancel();
        await watcher.WaitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, shortSeen);
    }
}
