using Sync.Daemon.Modes;

namespace Sync.Daemon.Cli;

/// <summary>Entry point: picks the mode from the first argument (default sync) and routes to it.</summary>
internal static class CommandLine
{
    public static readonly IReadOnlyList<(string Mode, string Summary)> Modes =
    [
        ("sync", "steer this VM's system clock from the virtio-rtc PTP clocks (default)"),
        ("serve", "run the host-side virtio-rtc device as a vhost-user back end for QEMU"),
        ("simulate", "run guest, device and clocks in one process on virtual time (--realtime: wall-clock pace)"),
        ("clocks", "list the PTP clocks of this machine: path, clock_name, time scale, reading methods"),
        ("status", "show what the running daemon knows, like chronyc tracking + sources (--json for JSON)"),
        ("calibrate", "measure each wider clock path against the narrowest (--seconds N, default 120) and print sources:calibration"),
    ];

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length > 0 && args[0] is "--version" or "-V" or "version")
        {
            stdout.WriteLine($"virtsyncd {DaemonVersion.Text}");
            return ExitCodes.Ok;
        }
        if (args.Length > 0 && args[0] is "--help" or "-h" or "help")
        {
            stdout.Write(HelpText());
            return ExitCodes.Ok;
        }

        string mode = "sync";
        string[] rest = args;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            mode = args[0];
            rest = args[1..];
        }
        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            stdout.Write(HelpText());
            return ExitCodes.Ok;
        }

        switch (mode)
        {
            case "sync": return WithArguments(mode, rest, stderr, a => SyncMode.Run(a, stdout, stderr));
            case "status": return WithArguments(mode, rest, stderr, a => StatusMode.Run(a, stdout, stderr));
            case "serve": return WithArguments(mode, ServeShorthands(rest), stderr, a => ServeMode.Run(a, stdout, stderr));
            case "simulate": return SimulateMode.Run(rest, stdout, stderr);
            case "clocks": return ClocksMode.Run(rest, stdout, stderr);
            case "calibrate":
                if (!CommandArguments.TryParse(mode, rest, allowOther: true, out var parsed, out var error))
                {
                    stderr.WriteLine($"virtsyncd: {error}; see virtsyncd --help");
                    return ExitCodes.Usage;
                }
                return CalibrateMode.Run(parsed, stdout, stderr);
            default:
                stderr.WriteLine($"virtsyncd: unknown mode '{mode}'. Modes: {string.Join(", ", Modes.Select(m => m.Mode))}; see virtsyncd --help");
                return ExitCodes.Usage;
        }
    }

    /// <summary>`serve --socket PATH --clocks LIST` are shorthands for --serve:socketPath and --serve:clocks; `--connect PATH` for --serve:socketPath=PATH --serve:socketRole=connect.</summary>
    private static string[] ServeShorthands(string[] rest)
    {
        var mapped = new List<string>(rest.Length);
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] is "--connect" && i + 1 < rest.Length)
            {
                mapped.Add($"--serve:socketPath={rest[++i]}");
                mapped.Add("--serve:socketRole=connect");
                continue;
            }
            if (rest[i] is "--socket" or "--clocks" && i + 1 < rest.Length)
            {
                mapped.Add($"--serve:{(rest[i] == "--socket" ? "socketPath" : "clocks")}={rest[++i]}");
                continue;
            }
            mapped.Add(rest[i]);
        }
        return [.. mapped];
    }

    private static int WithArguments(string mode, string[] rest, TextWriter stderr, Func<CommandArguments, int> run)
    {
        if (!CommandArguments.TryParse(mode, rest, allowOther: false, out var parsed, out var error))
        {
            stderr.WriteLine($"virtsyncd: {error}; see virtsyncd --help");
            return ExitCodes.Usage;
        }
        return run(parsed);
    }

    public static string HelpText()
    {
        var w = new StringWriter();
        w.WriteLine($"virtsyncd {DaemonVersion.Text}: time synchronization for Linux VMs over virtio-rtc");
        w.WriteLine();
        w.WriteLine("Usage: virtsyncd [MODE] [OPTIONS]");
        w.WriteLine();
        w.WriteLine("Modes:");
        foreach (var (m, summary) in Modes) w.WriteLine($"  {m,-10} {summary}");
        w.WriteLine();
        w.WriteLine("Options:");
        w.WriteLine("  --config PATH          configuration file (default /etc/virtsync/virtsync.json, JSON with comments)");
        w.WriteLine($"  --metrics HOST:PORT    Prometheus endpoint (default {Configuration.ConfigKeys.Metrics.Listen.DefaultText})");
        w.WriteLine("  --dry-run              read and compute, but never change the clock nor feed chrony");
        w.WriteLine("  --json                 machine-readable output (status)");
        w.WriteLine("  --Section:Key=VALUE    set any configuration key, e.g. --sources:readIntervalSeconds=0.5");
        w.WriteLine("  --version, --help");
        w.WriteLine();
        w.WriteLine("Configuration precedence: file < environment (VIRTSYNC__SECTION__KEY) < command line.");
        w.WriteLine();
        w.WriteLine("Configuration keys (default, allowed values, meaning; docs/operations.md has the same table):");
        w.Write(Configuration.ConfigKeys.HelpLines());
        w.WriteLine();
        w.WriteLine("Exit codes: 0 ok, 1 runtime failure, 3 status: daemon not running, 64 usage, 78 configuration error.");
        return w.ToString();
    }
}
