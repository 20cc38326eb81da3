using System.Diagnostics;
using Sync.Clock.HostClocks;
using Sync.Clock.Virtio.Rtc;

namespace Sync.Bench;

/// <summary>Service time of the virtio-rtc device for READ requests, in process (no transport), on one thread.</summary>
public sealed record DeviceReadBenchmarkResult(int Requests, double P50Us, double P99Us, double P999Us, double MaxUs, double ReadsPerSecond)
{
    public override string ToString() =>
        $"device READ service time over {Requests:N0} requests: p50 {P50Us:F3} us, p99 {P99Us:F3} us, p99.9 {P999Us:F3} us, " +
        $"max {MaxUs:F1} us; throughput {ReadsPerSecond:N0} READs/s (targets: p99 <= 5 us, >= 200,000 READs/s)";
}

public static class DeviceReadBenchmark
{
    public static DeviceReadBenchmarkResult Run(int requests = 1_000_000)
    {
        using var device = new VirtioRtcDevice(new VirtioRtcDeviceOptions
        {
            Clocks = [new DeviceClock(PosixClockSource.Realtime()), new DeviceClock(PosixClockSource.Monotonic())],
        });
        var request = new byte[16];
        VirtioRtcCodec.EncodeRead(request, 0);
        var response = new byte[16];

        for (int i = 0; i < 200_000; i++) // warm up: tiered JIT settles
            device.ProcessRequest(0, request, response);

        var serviceTicks = new long[requests];
        for (int i = 0; i < requests; i++)
        {
            long start = Stopwatch.GetTimestamp();
            int used = device.ProcessRequest(0, request, response);
            serviceTicks[i] = Stopwatch.GetTimestamp() - start;
            if (used != 16 || response[0] != 0)
                throw new InvalidOperationException($"READ failed: used {used}, status {response[0]}");
        }
        Array.Sort(serviceTicks);
        double usPerTick = 1e6 / Stopwatch.Frequency;
        double Percentile(double p) => serviceTicks[Math.Min(requests - 1, (int)(p * requests))] * usPerTick;

        long throughputStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < requests; i++)
            device.ProcessRequest(0, request, response);
        double elapsedS = (Stopwatch.GetTimestamp() - throughputStart) / (double)Stopwatch.Frequency;

        var result = new DeviceReadBenchmarkResult(requests, Percentile(0.50), Percentile(0.99), Percentile(0.999),
            serviceTicks[^1] * usPerTick, requests / elapsedS);
        Console.WriteLine(result);
        return result;
    }
}
