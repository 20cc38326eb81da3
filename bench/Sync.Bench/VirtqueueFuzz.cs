using System.Diagnostics;
using Sync.Clock.Virtio;
using Sync.TestSupport;

namespace Sync.Bench;

/// <summary>
/// Seeded fuzzing of the device-side split virtqueue: a hostile random driver (loops, out-of-range indices,
/// buffers outside memory, nested/malformed indirect tables, random avail/used indices and event fields) over
/// <see cref="SplitVirtqueue"/> and a checking device. Prints cases/s and outcome counts. Any exception escaping
/// the queue, or a violated invariant, stops the run with the case number and seed (exit code 1).
/// </summary>
public static class VirtqueueFuzz
{
    /// <summary>Runs <paramref name="cases"/> cases from <paramref name="seed"/>; returns 0, or 1 on a failure.</summary>
    public static int Run(long cases, int seed)
    {
        var fuzzer = new SplitVirtqueueFuzzer(seed);
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        for (long i = 0; i < cases; i++)
        {
            try
            {
                fuzzer.RunCase();
            }
            catch (Exception exception)
            {
                Console.Error.WriteLine($"VIRTQUEUE FUZZ FAILED at case {i} (seed {seed}): {exception}");
                return 1;
            }
        }
        double seconds = stopwatch.Elapsed.TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        Console.WriteLine($"virtqueue fuzz: {fuzzer.Cases:N0} cases in {seconds:F1} s wall ({fuzzer.Cases / seconds:N0} cases/s), " +
                          $"{cpuSeconds:F1} s CPU ({fuzzer.Cases / cpuSeconds:N0} cases per CPU-second), seed {seed}");
        Console.WriteLine($"  chains completed {fuzzer.ChainsCompleted:N0}, rejected {fuzzer.ChainsRejected:N0}, queues broken {fuzzer.QueuesBroken:N0}, " +
                          $"event buffers held {fuzzer.EventBuffersHeld:N0}, interrupts requested {fuzzer.NotificationsRequested:N0}, device calls {fuzzer.DeviceCalls:N0}");
        foreach (var (reason, count) in fuzzer.RejectionsByReason.OrderByDescending(pair => pair.Value))
        {
            Console.WriteLine($"  rejected {reason}: {count:N0}");
        }
        Console.WriteLine("  exceptions escaped: 0");
        return 0;
    }
}
