using System.Globalization;
using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Daemon.Cli;
using Sync.Daemon.Configuration;
using Sync.Daemon.Pipeline;
using Sync.Filters.Engine;
using Sync.Filters.Leap;
using Sync.Filters.Samples;
using Sync.Filters.Selection;
using Sync.Filters.Time;

namespace Sync.Daemon.Modes;

/// <summary>
/// `virtsyncd calibrate [--seconds N]`: reads every configured clock (sources:clocks, two or more paths to the host's
/// time, e.g. our virtio-rtc device and QEMU's built-in one) each read interval for N seconds (default 120) without
/// touching the system clock, measures each wider path against the narrowest (<see cref="PathCalibration"/>, as
/// `sources:combine` does while running) and prints the sources:calibration entries to paste into the configuration.
/// </summary>
public static class CalibrateMode
{
    public const int DefaultSeconds = 120;

    /// <summary>What was measured for one clock: its calibration (null: it is the narrowest path, or too few pairs) and its half window.</summary>
    public sealed record Measurement(string Path, SourceCalibration? Calibration, Duration? HalfWindow, int Pairs);

    public static int Run(CommandArguments args, TextWriter stdout, TextWriter stderr)
    {
        var seconds = DefaultSeconds;
        for (var i = 0; i < args.Rest.Count; i++)
        {
            if (args.Rest[i] == "--seconds" && i + 1 < args.Rest.Count
                && int.TryParse(args.Rest[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s is >= 10 and <= 86_400)
            {
                seconds = s;
                i++;
                continue;
            }
            stderr.WriteLine($"virtsyncd calibrate: unknown or bad argument '{args.Rest[i]}': use --seconds N (10..86400) and --Section:Key=VALUE options");
            return ExitCodes.Usage;
        }
        if (!ModeConfiguration.TryLoad(args, stderr, out var options, out var exitCode)) return exitCode;

        var opened = LinuxClockSources.Open(options.Sources, new PtpClockDiscovery(), TimeProvider.System);
        if (!opened.IsOk)
        {
            stderr.WriteLine($"virtsyncd calibrate: {opened.Error!.Message}");
            return ExitCodes.RuntimeFailure;
        }
        var clocks = opened.Value;
        if (clocks.Count < 2)
        {
            stderr.WriteLine("virtsyncd calibrate: needs two or more paths to the host's time: give them with --sources:clocks=/dev/ptpA,/dev/ptpB (`virtsyncd clocks` lists them)");
            return ExitCodes.Usage;
        }

        var interval = Duration.FromSeconds(options.Sources.ReadIntervalSeconds);
        var steps = (int)Math.Ceiling(seconds / options.Sources.ReadIntervalSeconds);
        stderr.WriteLine($"virtsyncd calibrate: reading {string.Join(", ", clocks.Select(c => c.Info.Path))} for {seconds} s (the system clock is not changed)");
        var measured = Measure(clocks, options.ToEngineOptions(), options.Sources.SamplesPerReading, steps,
            () => Thread.Sleep(TimeSpan.FromTicks(interval.Nanoseconds / 100)));
        Print(measured, stdout);
        return measured.Any(m => m.Calibration is not null) ? ExitCodes.Ok : ExitCodes.RuntimeFailure;
    }

    /// <summary>Reads every clock steps times (wait between steps) through an engine that steers nothing, and returns what it measured.</summary>
    public static IReadOnlyList<Measurement> Measure(IReadOnlyList<IReferenceClock> clocks, SyncEngineOptions options, int samplesPerReading, int steps, Action wait)
    {
        var engine = new SyncEngine(options with { Calibrations = new Dictionary<string, SourceCalibration>(), CalibrateWiderPaths = true }, LeapSecondTable.Embedded);
        foreach (var clock in clocks)
            engine.AddSource(clock.Info.Path, clock.Info.Name, clock.Info.Scale);
        for (var i = 0; i < steps; i++)
        {
            var readings = new List<(string, PhcReading)>();
            foreach (var clock in clocks)
            {
                if (clock.Read(samplesPerReading) is { IsOk: true } reading)
                    readings.Add((clock.Info.Path, reading.Value));
            }
            engine.OnReadings(readings);
            wait();
        }
        var snapshot = engine.Snapshot(new Instant<Utc>(0));
        return engine.Calibrations.Select(c =>
        {
            var source = snapshot.Sources.First(s => s.Path == c.Key);
            var halfWindow = source.Window is { } w ? Duration.FromNanoseconds((w.Nanoseconds + 1) / 2) : (Duration?)null;
            return new Measurement(c.Key, c.Value.Measured, halfWindow, source.CalibrationPairs);
        }).ToList();
    }

    private static void Print(IReadOnlyList<Measurement> measured, TextWriter stdout)
    {
        var entries = new List<string>();
        foreach (var m in measured)
        {
            var window = m.HalfWindow is { } h ? $"half window {h.Nanoseconds / 1000.0:0.0} us" : "no sample";
            if (m.Calibration is not { } c)
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {m.Path}: reference path ({window}, {m.Pairs} pairs)"));
                continue;
            }
            var entry = new ClockCalibration(m.Path, c).ToString();
            var better = m.HalfWindow is { } half && c.Allowance < half ? "beats" : "does NOT beat";
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {m.Path}: {entry} ({m.Pairs} pairs; the allowance {better} its {window})"));
            entries.Add(entry);
        }
        stdout.WriteLine("# paste into the configuration file (sources section):");
        stdout.WriteLine($"\"calibration\": [ {string.Join(", ", entries.Select(e => $"\"{e}\""))} ]");
    }
}
