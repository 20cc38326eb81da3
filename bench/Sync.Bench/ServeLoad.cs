using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Sync.Clock.VhostUser;
using Sync.Clock.VhostUser.Native;
using Sync.Clock.Virtio.Rtc;

namespace Sync.Bench;

/// <summary>
/// `serve-load`: starts `virtsyncd serve` (or uses --serve-binary), connects N vhost-user front ends of its own over
/// the real socket (QEMU-like handshake, sealed memfd guest memory, one READ in flight each), sends R READs per
/// second per VM for S seconds from one epoll thread, and prints served/refused/errors, client round-trip and
/// server-side (the serve histogram) latency percentiles, serve's CPU and RSS. `--churn N` then runs N
/// connect-handshake-READ-close cycles and compares serve's fds, RSS and idle CPU with the start, and times SIGTERM.
/// Targets (issue 12): 1,000 VMs x 10/s: 0 refused, server p99 &lt;= 5 us, client p99 &lt;= 200 us, CPU &lt;= 10 %, RSS &lt;= 60 MB;
/// idle &lt;= 0.5 %; churn: fds and RSS back within 10 %.
/// </summary>
public static class ServeLoad
{
    public static int Run(int connections, double rate, double seconds, int churn, string? serveBinary, double warmupSeconds = 5, double baselineSeconds = 20,
        int realtimePriority = 0)
    {
        LoadClients.RealtimePriority = realtimePriority;
        if (realtimePriority > 0)
        {
            Console.WriteLine($"real-time: serve --serve:realtimePriority={realtimePriority}; the load and echo threads SCHED_FIFO {realtimePriority} while driving READs");
        }
        if (baselineSeconds > 0 && rate > 0)
        {
            Baseline(connections, rate, Math.Min(baselineSeconds, seconds), warmupSeconds);
        }
        var dir = Path.Combine("/tmp", $"vs-load-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        var socket = Path.Combine(dir, "vhost.sock");
        int port = FreePort();
        using var serve = ServeProcess.Start(serveBinary, dir, socket, port, connections + 64, realtimePriority);
        Console.WriteLine($"serve-load: {connections} VMs x {rate}/s READ for {seconds} s, churn {churn}; serve pid {serve.Pid} ({serve.Command}); "
            + $"{Environment.ProcessorCount} cpus shared with other work (figures are indicative), load average {LoadAverage()}");
        var baseline = ProcStats.Of(serve.Pid);
        Console.WriteLine($"serve at start: RSS {baseline.RssMb:0.0} MB, {baseline.Fds} fds");

        using var load = new LoadClients(socket);
        var connectWatch = Stopwatch.StartNew();
        int refused = load.Connect(connections);
        Console.WriteLine($"connected {load.Count} VMs in {connectWatch.Elapsed.TotalSeconds:0.00} s (handshake done), refused {refused}");

        if (warmupSeconds > 0 && rate > 0)
        {
            var warm = load.Drive(rate, warmupSeconds); // JIT tiers of this tool and serve settle; not counted
            Console.WriteLine($"warm-up {warmupSeconds} s (not counted): {warm.Served} READs, round trip p99 {Us(warm.Percentile(0.99))}");
        }
        var before = ProcStats.Of(serve.Pid);
        var serverBefore = Scrape(port);
        var self = ProcStats.Of(Environment.ProcessId);
        int loopTid = SchedStat.ThreadNamed(serve.Pid, "vhost-user-loop");
        int clientTid = Sync.Clock.Linux.Interop.LibC.GetTid(); // Drive runs on this thread
        var loopSchedBefore = SchedStat.Of(serve.Pid, loopTid);
        var clientSchedBefore = SchedStat.Of(Environment.ProcessId, clientTid);
        string pressureBefore = CpuPressure();
        // A third into the run, from another thread: a front end that truncates its guest memory (issue 12's fault isolation).
        (bool Ended, string Detail)? truncation = null;
        var truncator = new Thread(() =>
        {
            Thread.Sleep(TimeSpan.FromSeconds(seconds / 3));
            truncation = LoadClients.TruncatingFrontEnd(socket);
        }) { IsBackground = true, Name = "serve-load-truncate" };
        truncator.Start();
        var result = load.Drive(rate, seconds);
        truncator.Join(TimeSpan.FromSeconds(10));
        var loopSched = SchedStat.Of(serve.Pid, loopTid) - loopSchedBefore;
        var clientSched = SchedStat.Of(Environment.ProcessId, clientTid) - clientSchedBefore;
        var after = ProcStats.Of(serve.Pid);
        var selfAfter = ProcStats.Of(Environment.ProcessId);
        var serverAfter = Scrape(port);
        double wall = result.WallSeconds;
        double cpu = (after.CpuSeconds - before.CpuSeconds) / wall * 100;
        double clientCpu = (selfAfter.CpuSeconds - self.CpuSeconds) / wall * 100;
        var server = ServerHistogram.Delta(serverBefore, serverAfter);
        Console.WriteLine($"served {result.Served} READs ({result.Served / wall:0} /s), errors {result.Errors}, refused {refused}, late/unanswered {result.Unanswered}");
        Console.WriteLine($"client round trip: p50 {Us(result.Percentile(0.50))} p99 {Us(result.Percentile(0.99))} p99.9 {Us(result.Percentile(0.999))} max {Us(result.Percentile(1))}  (target p99 <= 200 us)");
        Console.WriteLine($"  (kick to used entry seen by the client's epoll thread; posts were late against the schedule by p50 {Us(result.PostLagNs.Percentile(0.5))} "
            + $"p99 {Us(result.PostLagNs.Percentile(0.99))} max {Us(result.PostLagNs.Percentile(1))}, not counted in the round trip; load average {LoadAverage()})");
        Console.WriteLine($"scheduler (/proc/PID/task/TID/schedstat over the run): serve's loop thread {loopSched}; the load thread {clientSched}; "
            + $"CPU pressure (/proc/pressure/cpu some avg10) {pressureBefore} before, {CpuPressure()} after");
        Console.WriteLine($"server service time (histogram upper bounds): p50 <= {Us(server.Percentile(0.50) * 1e9)} p99 <= {Us(server.Percentile(0.99) * 1e9)} over {server.Count} READs  (target p99 <= 5 us)");
        Console.WriteLine($"serve CPU {cpu:0.00} % of one core (target <= 10 %), RSS {after.RssMb:0.0} MB (target <= 60 MB), {after.Fds} fds, {after.Threads} threads; load client CPU {clientCpu:0.0} %");
        Console.WriteLine($"serve metrics: connections {MetricValue(serverAfter, "virtsync_serve_connections")}, refused {MetricValue(serverAfter, "virtsync_serve_connections_refused_total")}");
        Console.WriteLine($"front end truncating its memory, {seconds / 3:0} s into the run: {truncation?.Detail ?? "did not finish"}; serve {(serve.HasExited ? "EXITED" : "still running")}; "
            + $"the other VMs meanwhile: {result.Served} served, {result.Errors} errors, {result.Unanswered} unanswered "
            + $"(target: its connection ends, all others keep serving: {(truncation?.Ended == true && !serve.HasExited && result.Errors == 0 && result.Unanswered == 0 ? "met" : "NOT met")})");

        var idleStart = ProcStats.Of(serve.Pid);
        Thread.Sleep(5000);
        var idleEnd = ProcStats.Of(serve.Pid);
        Console.WriteLine($"idle with {load.Count} VMs connected: serve CPU {(idleEnd.CpuSeconds - idleStart.CpuSeconds) / 5 * 100:0.00} % (target <= 0.5 %)");
        load.Dispose();
        WaitFor(() => ProcStats.Of(serve.Pid).Fds <= baseline.Fds + 2, 10_000);

        if (churn > 0)
        {
            Churn(serve, churn, socket, port);
        }
        var stop = serve.Terminate();
        Console.WriteLine($"SIGTERM: serve exited in {stop.TotalMilliseconds:0} ms (target <= 5000 ms)");
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return 0;
    }

    /// <summary>
    /// The machine's own share of a round trip: the same VMs, rate and measurement, answered by an echo thread of this
    /// process that only reads the kick and writes the call (two thread wake-ups, no vhost-user, no device). What
    /// serve's round trip adds above this is serve's.
    /// </summary>
    private static void Baseline(int connections, double rate, double seconds, double warmupSeconds)
    {
        using var echo = new LoadClients("");
        echo.ConnectEcho(connections);
        if (warmupSeconds > 0)
        {
            echo.Drive(rate, warmupSeconds);
        }
        var result = echo.Drive(rate, seconds);
        Console.WriteLine($"baseline, echo thread instead of serve ({connections} eventfd pairs x {rate}/s for {seconds} s, load average {LoadAverage()}): "
            + $"round trip p50 {Us(result.Percentile(0.50))} p99 {Us(result.Percentile(0.99))} p99.9 {Us(result.Percentile(0.999))} max {Us(result.Percentile(1))}, "
            + $"{result.Served} answered, post lag p99 {Us(result.PostLagNs.Percentile(0.99))}");
    }

    private static void Churn(ServeProcess serve, int cycles, string socket, int port)
    {
        using var warm = new LoadClients(socket);
        for (int i = 0; i < 200; i++)
        {
            warm.Cycle();
        }
        Thread.Sleep(1000);
        var start = ProcStats.Of(serve.Pid);
        Console.WriteLine($"  churn start: {Memory(start, port)}");
        var watch = Stopwatch.StartNew();
        int failures = 0;
        for (int i = 0; i < cycles; i++)
        {
            if (!warm.Cycle())
            {
                failures++;
            }
            if ((i + 1) % 20_000 == 0)
            {
                var now = ProcStats.Of(serve.Pid);
                Console.WriteLine($"  churn {i + 1}: {Memory(now, port)}, {(i + 1) / watch.Elapsed.TotalSeconds:0} cycles/s");
            }
        }
        Thread.Sleep(2000);
        Console.WriteLine($"  churn end: {Memory(ProcStats.Of(serve.Pid), port)}");
        var end = ProcStats.Of(serve.Pid); // after the scrape, so serving it is not counted as idle CPU
        Thread.Sleep(3000);
        var idle = ProcStats.Of(serve.Pid);
        Console.WriteLine($"churn {cycles} connect-handshake-READ-close cycles in {watch.Elapsed.TotalSeconds:0.0} s, {failures} failed: "
            + $"fds {start.Fds} -> {end.Fds}, RSS {start.RssMb:0.0} -> {end.RssMb:0.0} MB ({(end.RssMb / start.RssMb - 1) * 100:+0;-0} %, target +-10 %), "
            + $"CPU afterwards {(idle.CpuSeconds - end.CpuSeconds) / 3 * 100:0.00} %");
    }

    /// <summary>RSS, fds, threads, and from serve's own metrics the GC heap and collections: what grows, managed or native.</summary>
    private static string Memory(ProcStats stats, int port)
    {
        var scrape = Scrape(port);
        string heap = double.TryParse(MetricValue(scrape, "dotnet_gc_heap_bytes"), NumberStyles.Float, CultureInfo.InvariantCulture, out double bytes)
            ? $"{bytes / 1048576:0.0} MB" : "n/a";
        return $"RSS {stats.RssMb:0.0} MB (GC heap {heap}, gen0/1/2 collections {MetricValue(scrape, "dotnet_gc_collections_total{generation=\"0\"}")}/"
            + $"{MetricValue(scrape, "dotnet_gc_collections_total{generation=\"1\"}")}/{MetricValue(scrape, "dotnet_gc_collections_total{generation=\"2\"}")}), "
            + $"{stats.Fds} fds, {stats.Threads} threads";
    }

    /// <summary>The share of time some runnable task waited for a CPU over the last 10 s (PSI), as the kernel reports it.</summary>
    private static string CpuPressure()
    {
        try
        {
            var some = File.ReadLines("/proc/pressure/cpu").First(l => l.StartsWith("some", StringComparison.Ordinal));
            return some.Split(' ').First(f => f.StartsWith("avg10=", StringComparison.Ordinal))[6..] + " %";
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    /// <summary>
    /// One thread's schedstat: time on a CPU, time runnable but waiting for one, and timeslices (about one per
    /// wake-up for a thread that sleeps in epoll). The wait per timeslice is what the machine adds to each wake-up.
    /// </summary>
    private readonly record struct SchedStat(long RunNs, long WaitNs, long Slices)
    {
        public static SchedStat Of(int pid, int tid)
        {
            try
            {
                var fields = File.ReadAllText($"/proc/{pid}/task/{tid}/schedstat").Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return new SchedStat(long.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[1], CultureInfo.InvariantCulture),
                    long.Parse(fields[2], CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return new SchedStat(-1, -1, -1);
            }
        }

        public static int ThreadNamed(int pid, string name)
        {
            try
            {
                foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).Trim() == name)
                    {
                        return int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
            return -1;
        }

        public static SchedStat operator -(SchedStat a, SchedStat b) =>
            a.Slices < 0 || b.Slices < 0 ? new SchedStat(-1, -1, -1) : new SchedStat(a.RunNs - b.RunNs, a.WaitNs - b.WaitNs, a.Slices - b.Slices);

        public override string ToString() => Slices <= 0 ? "n/a"
            : $"ran {RunNs / 1e9:0.00} s and waited for a CPU {WaitNs / 1e9:0.00} s over {Slices} timeslices ({RunNs / 1e3 / Slices:0.0} us run, {WaitNs / 1e3 / Slices:0.0} us waiting per slice)";
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string Us(double ns) => double.IsNaN(ns) ? "n/a" : $"{ns / 1000:0.0} us";

    private static void WaitFor(Func<bool> condition, int timeoutMs)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition() && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(50);
        }
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Scrape(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            return http.GetStringAsync($"http://127.0.0.1:{port}/metrics").GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return "";
        }
    }

    private static string MetricValue(string scrape, string name)
    {
        var m = Regex.Match(scrape, "(?m)^" + Regex.Escape(name) + @"(\{[^}]*\})? (\S+)");
        return m.Success ? m.Groups[2].Value : "absent";
    }

    /// <summary>READ service times from serve's own histogram (virtsync_serve_request_duration_seconds, type=read).</summary>
    private sealed class ServerHistogram
    {
        private readonly List<(double Le, double Count)> _buckets;

        private ServerHistogram(List<(double Le, double Count)> buckets) => _buckets = buckets;

        public double Count => _buckets.Count > 0 ? _buckets[^1].Count : 0;

        public static ServerHistogram Delta(string before, string after)
        {
            var b = Parse(before);
            var a = Parse(after);
            return new ServerHistogram([.. a.Select(x => (x.Key, x.Value - b.GetValueOrDefault(x.Key)))]);
        }

        private static SortedDictionary<double, double> Parse(string scrape)
        {
            var result = new SortedDictionary<double, double>();
            foreach (Match m in Regex.Matches(scrape, @"(?m)^virtsync_serve_request_duration_seconds_bucket\{([^}]*)\} (\S+)"))
            {
                var labels = m.Groups[1].Value;
                if (!labels.Contains("type=\"read\"", StringComparison.Ordinal))
                {
                    continue;
                }
                var le = Regex.Match(labels, "le=\"([^\"]+)\"").Groups[1].Value;
                double bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
                result[bound] = result.GetValueOrDefault(bound) + double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            }
            return result;
        }

        public double Percentile(double p)
        {
            if (Count <= 0)
            {
                return double.NaN;
            }
            foreach (var (le, count) in _buckets)
            {
                if (count >= p * Count)
                {
                    return le;
                }
            }
            return double.PositiveInfinity;
        }
    }

    private readonly record struct ProcStats(double CpuSeconds, double RssMb, int Fds, int Threads = -1)
    {
        public static ProcStats Of(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                double cpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
                var rssLine = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                double rssKb = double.Parse(rssLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                int fds = Directory.GetFiles($"/proc/{pid}/fd").Length;
                return new ProcStats(cpu, rssKb / 1024, fds, Directory.GetDirectories($"/proc/{pid}/task").Length);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                return new ProcStats(double.NaN, double.NaN, -1);
            }
        }
    }

    /// <summary>The `virtsyncd serve` under test: the given binary, else virtsyncd.dll next to this tool under `dotnet`.</summary>
    private sealed class ServeProcess : IDisposable
    {
        private readonly Process _process;

        private ServeProcess(Process process, string command)
        {
            _process = process;
            Command = command;
        }

        public int Pid => _process.Id;
        public bool HasExited => _process.HasExited;
        public string Command { get; }

        public static ServeProcess Start(string? binary, string dir, string socket, int port, int maxConnections, int realtimePriority = 0)
        {
            var config = Path.Combine(dir, "virtsync.json");
            File.WriteAllText(config, "{}");
            string[] serveArgs =
            [
                "serve", "--config", config, "--metrics", $"127.0.0.1:{port}", $"--serve:socketPath={socket}",
                $"--serve:stateDirectory={Path.Combine(dir, "state")}", "--serve:clocks=utc,tai,monotonic",
                $"--serve:maxConnections={maxConnections}", "--status:enabled=false", "--logging:level=warning",
                .. (realtimePriority > 0 ? new[] { $"--serve:realtimePriority={realtimePriority}" } : []),
            ];
            var psi = binary is null
                ? new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "virtsyncd.dll"), .. serveArgs])
                : new ProcessStartInfo(binary, serveArgs);
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start serve");
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [serve] {e.Data}"); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [serve] {e.Data}"); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var deadline = Environment.TickCount64 + 30_000;
            while (!File.Exists(socket) && !process.HasExited && Environment.TickCount64 < deadline)
            {
                Thread.Sleep(50);
            }
            if (!File.Exists(socket))
            {
                throw new InvalidOperationException($"serve did not create {socket} (exit {(process.HasExited ? process.ExitCode : -1)})");
            }
            Thread.Sleep(500); // let the runtime settle before the baseline
            return new ServeProcess(process, $"{psi.FileName} {string.Join(' ', psi.ArgumentList)}");
        }

        /// <summary>SIGTERM (by pid, our own child) and the time until it exited.</summary>
        public TimeSpan Terminate()
        {
            var watch = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
            }
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill();
                return TimeSpan.MaxValue;
            }
            return watch.Elapsed;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
            _process.Dispose();
        }
    }
}
