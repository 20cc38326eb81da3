using System.Globalization;
using System.Text.Json;
using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Clock.Linux.VmClock;
using Sync.Filters.Time;

namespace Sync.Daemon.Modes;

/// <summary>
/// `virtsyncd clocks [--json] [--samples N] [--select SPEC]`: lists every PHC (name, virtio-rtc type and variant,
/// the reading methods that work, one live reading against CLOCK_REALTIME), the vmclock page if there is one,
/// and which clock `sync` would choose and why (<see cref="PtpClockSelector.Choose"/>, the function `sync` uses;
/// --select takes the sources:clocks grammar). Read-only. Exit 0 when a clock can be chosen, 1 otherwise
/// (including "no PTP clocks found"), 64 for bad arguments.
/// </summary>
public static class ClocksMode
{
    public const int DefaultSamples = 5;
    public const string NoClocksMessage = "no PTP clocks found: is the virtio_rtc or ptp_kvm module loaded?";
    private const string Usage = "usage: virtsyncd clocks [--json] [--samples 1..25] [--select auto|SELECTOR[,SELECTOR...]] (SELECTOR as in sources:clocks: PATH, ptpN, tai, utc, ...)";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, string sysfsRoot = "/sys/class/ptp", string devRoot = "/dev") =>
        Run(args, stdout, stderr, sysfsRoot, devRoot, static () => new PtpIoctl());

    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr, string sysfsRoot, string devRoot, Func<IPtpIoctl> openDevice)
    {
        if (!TryParse(args, out var json, out var samples, out var selection, out var problem))
        {
            stderr.WriteLine($"virtsyncd clocks: {problem}");
            stderr.WriteLine(Usage);
            return 64;
        }

        var clocks = new PtpClockDiscovery(sysfsRoot, devRoot).Discover();
        var vmclock = ReadVmClock(Path.Combine(devRoot, "vmclock0"));
        if (clocks.Count == 0)
        {
            stderr.WriteLine(NoClocksMessage);
            return 1;
        }

        var reports = clocks.Select(c => Probe(c, samples, openDevice)).ToArray();
        var selectors = PtpClockSelector.ParseList(selection);
        if (!selectors.IsOk)
        {
            stderr.WriteLine($"virtsyncd clocks: --select: {selectors.Error!.Message}");
            stderr.WriteLine(Usage);
            return 64;
        }
        // The very choice `sync` makes (LinuxClockSources.Open): the first is steered from, the others are failover.
        var chosen = PtpClockSelector.Choose(clocks, selectors.Value);
        var choice = chosen.IsOk ? ClockResult<PtpClockChoice>.Ok(chosen.Value[0]) : chosen.Error!;
        var choiceReport = choice.IsOk
            ? new ChoiceReport(choice.Value.Clock.DevicePath, choice.Value.Reason)
            : new ChoiceReport(null, choice.Error!.Message);
        var report = new ClocksReport(reports, choiceReport, vmclock);

        if (json) stdout.WriteLine(JsonSerializer.Serialize(report, ClocksJsonContext.Default.ClocksReport));
        else WriteText(report, stdout);
        if (!choice.IsOk) stderr.WriteLine($"sync would not start: {choice.Error!.Message}");
        return choice.IsOk ? 0 : 1;
    }

    private static bool TryParse(string[] args, out bool json, out int samples, out string selection, out string? problem)
    {
        json = false;
        samples = DefaultSamples;
        selection = PtpClockSelector.Auto;
        problem = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--samples" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out samples)
                        || samples < LinuxPhc.MinSamplesPerReading || samples > LinuxPhc.MaxSamplesPerReading)
                    {
                        problem = $"--samples must be {LinuxPhc.MinSamplesPerReading}..{LinuxPhc.MaxSamplesPerReading}, got \"{args[i]}\"";
                        return false;
                    }
                    break;
                case "--select" when i + 1 < args.Length:
                    selection = args[++i];
                    break;
                default:
                    problem = $"unknown or incomplete argument \"{args[i]}\"";
                    return false;
            }
        }
        return true;
    }

    private static PhcReport Probe(PtpClockDescription clock, int samples, Func<IPtpIoctl> openDevice)
    {
        // The scale only labels the reading; an unknown one is shown as such and never used for steering.
        var info = new ReferenceClockInfo(clock.DevicePath, clock.ClockName, clock.Scale ?? ClockScale.Utc);
        using var phc = new LinuxPhc(info, openDevice());
        var opened = phc.Open();
        var methods = new List<MethodReport>();
        LiveReadingReport? reading = null;
        string? error = null;
        if (!opened.IsOk)
        {
            error = opened.Error!.ToString();
        }
        else
        {
            foreach (var method in PtpReadMethods.InPreferenceOrder)
            {
                var result = phc.ReadWith(method, 1);
                methods.Add(new MethodReport(method.ToString(), method.CallName(), result.IsOk,
                    result.IsOk ? null : result.Error!.ErrnoName, result.IsOk ? null : result.Error!.Message));
            }
            var live = phc.Read(samples);
            if (live.IsOk)
            {
                var fastest = live.Value.Samples.MinBy(s => s.DelayNs);
                var midpoint = fastest.SysBeforeNs + (fastest.SysAfterNs - fastest.SysBeforeNs) / 2;
                reading = new LiveReadingReport(phc.PtpMethod!.Value.CallName(), live.Value.Samples.Count, fastest.PhcNs - midpoint, fastest.DelayNs);
            }
            else
            {
                error = live.Error!.ToString();
            }
        }
        var caps = phc.Capabilities is { } c ? new CapabilitiesReport(c.Request, c.MaxAdjustmentPpb, c.CrossTimestamping, c.Pins, c.Pps) : null;
        return new PhcReport(clock.DevicePath, clock.Symlinks, clock.ClockName, KindName(clock.Kind), clock.ScaleName,
            clock.VirtioType, clock.VirtioVariant, clock.UsableForRealtime, clock.Note, caps, methods, reading, error);
    }

    private static VmClockReport? ReadVmClock(string path)
    {
        if (!File.Exists(path)) return null;
        var opened = VmClockReader.Open(path);
        if (!opened.IsOk) return new VmClockReport(path, opened.Error!.ToString(), null, null, null, null, null, null, null);
        using var reader = opened.Value;
        var snapshot = reader.Read();
        if (!snapshot.IsOk) return new VmClockReport(path, snapshot.Error!.ToString(), null, null, null, null, null, null, null);
        var s = snapshot.Value;
        return new VmClockReport(path, null, s.DisruptionMarker, s.ClockStatus.ToString(), s.LeapIndicator?.ToString(),
            s.TaiOffsetSeconds, s.TimeEsterrorNs, s.TimeMaxerrorNs, s.Flags.ToString());
    }

    private static string KindName(PtpClockKind kind) => kind switch
    {
        PtpClockKind.VirtioRtc => "virtio-rtc",
        PtpClockKind.Kvm => "kvm",
        PtpClockKind.VmClock => "vmclock",
        PtpClockKind.VmwarePrecisionClock => "vmware",
        _ => "other",
    };

    private static void WriteText(ClocksReport report, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var clock in report.Clocks)
        {
            var virtio = clock.VirtioType is { } t ? string.Create(inv, $" (virtio-rtc type {t}, variant {clock.VirtioVariant})") : "";
            output.WriteLine($"{clock.Device}  \"{clock.ClockName}\"  {clock.Kind}, scale {clock.Scale}{virtio}");
            if (clock.Symlinks.Count > 0) output.WriteLine($"  symlinks: {string.Join(", ", clock.Symlinks)}");
            if (clock.Note is not null) output.WriteLine($"  note: {clock.Note}");
            if (!clock.UsableForRealtime) output.WriteLine("  not used to steer CLOCK_REALTIME");
            if (clock.Capabilities is { } caps)
                output.WriteLine(string.Create(inv, $"  capabilities ({caps.Request}): cross-timestamping {(caps.CrossTimestamping ? "yes" : "no")}, max_adj {caps.MaxAdjustmentPpb} ppb, pins {caps.Pins}, pps {(caps.Pps ? "yes" : "no")}"));
            if (clock.Methods.Count > 0)
            {
                var working = clock.Methods.Where(m => m.Works).Select(m => m.Call).ToArray();
                var failing = clock.Methods.Where(m => !m.Works).Select(m => $"{m.Call} ({m.Errno})").ToArray();
                output.WriteLine($"  methods that work: {(working.Length == 0 ? "none" : string.Join(", ", working))}");
                if (failing.Length > 0) output.WriteLine($"  methods that fail: {string.Join(", ", failing)}");
            }
            if (clock.Reading is { } r)
                output.WriteLine(string.Create(inv,
                    $"  reading ({r.Method}, {r.Samples} samples, fastest): PHC - CLOCK_REALTIME = {FormatSeconds(r.PhcMinusRealtimeNs)} s, delay {r.DelayNs / 1000.0:0.000} us"));
            if (clock.Error is not null) output.WriteLine($"  error: {clock.Error}");
        }
        if (report.Vmclock is { } vm)
        {
            output.WriteLine(vm.Error is null
                ? string.Create(inv, $"{vm.Path}: status {vm.ClockStatus}, disruption marker {vm.DisruptionMarker}, leap {vm.LeapIndicator ?? "n/a"}, TAI offset {(vm.TaiOffsetSeconds is { } tai ? tai + " s" : "n/a")}, esterror {(vm.TimeEsterrorNs is { } e ? e + " ns" : "n/a")}, maxerror {(vm.TimeMaxerrorNs is { } m ? m + " ns" : "n/a")}")
                : $"{vm.Path}: {vm.Error}");
        }
        output.WriteLine(report.Choice.Device is null
            ? $"sync would choose: nothing ({report.Choice.Reason})"
            : $"sync would choose: {report.Choice.Reason}");
    }

    private static string FormatSeconds(long ns)
    {
        var sign = ns < 0 ? "-" : "+";
        var abs = Int128.Abs(ns);
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{abs / 1_000_000_000}.{abs % 1_000_000_000:000000000}");
    }
}
