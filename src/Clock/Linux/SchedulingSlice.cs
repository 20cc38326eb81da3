using Sync.Clock.Linux.Interop;

namespace Sync.Clock.Linux;

/// <summary>
/// The scheduler slice a thread asks for. Linux's EEVDF scheduler (6.12 and later) lets a SCHED_OTHER thread request a
/// shorter slice (sched_attr.sched_runtime, 0.1-100 ms): its virtual deadline comes sooner, so when it wakes on a busy
/// CPU it preempts a CPU-bound task instead of waiting for that task's slice (0.7-3 ms) to end. For a thread that
/// sleeps in epoll and works microseconds per wake-up (serve's loop) this is the wake-up latency; it gets no more CPU
/// than before (no priority or nice change, no privilege needed). Older kernels ignore the field.
/// </summary>
public static class SchedulingSlice
{
    /// <summary>The kernel's shortest slice (100 us): what a thread that works microseconds per wake-up asks for.</summary>
    public const long ShortestNs = 100_000;

    /// <summary>Asks for a <paramref name="sliceNs"/> slice for the calling thread, keeping its policy and nice; false with errno if refused.</summary>
    public static unsafe bool TryRequestForCurrentThread(long sliceNs, out int errno)
    {
        errno = 0;
        var attributes = default(LibC.SchedAttr);
        int tid = LibC.GetTid();
        if (LibC.SchedGetattr(tid, &attributes) != 0)
        {
            errno = LibC.LastErrno;
            return false;
        }
        if (attributes.Policy != LibC.SCHED_OTHER)
        {
            return true; // real-time or idle policy chosen by the operator: leave it alone
        }
        attributes.Size = (uint)sizeof(LibC.SchedAttr);
        attributes.Flags = 0;
        attributes.Runtime = (ulong)sliceNs;
        if (LibC.SchedSetattr(tid, &attributes) != 0)
        {
            errno = LibC.LastErrno;
            return false;
        }
        return true;
    }

    /// <summary>Highest SCHED_FIFO priority Linux accepts (sched_get_priority_max(SCHED_FIFO)).</summary>
    public const int MaxRealtimePriority = 99;

    /// <summary>
    /// Puts the calling thread (only it, not the process) under SCHED_FIFO at <paramref name="priority"/> (1-99): it then
    /// runs as soon as it wakes, ahead of every SCHED_OTHER task, however busy the CPUs are. Needs CAP_SYS_NICE or an
    /// RLIMIT_RTPRIO (systemd LimitRTPRIO=) of at least <paramref name="priority"/>; false with errno (EPERM) otherwise.
    /// The kernel's real-time throttling (kernel.sched_rt_runtime_us, 95 % by default) still bounds a runaway thread.
    /// </summary>
    public static unsafe bool TryRequestRealtimeForCurrentThread(int priority, out int errno)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(priority, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(priority, MaxRealtimePriority);
        errno = 0;
        var attributes = default(LibC.SchedAttr);
        attributes.Size = (uint)sizeof(LibC.SchedAttr);
        attributes.Policy = LibC.SCHED_FIFO;
        attributes.Priority = (uint)priority;
        if (LibC.SchedSetattr(LibC.GetTid(), &attributes) != 0)
        {
            errno = LibC.LastErrno;
            return false;
        }
        return true;
    }

    /// <summary>Policy (0 SCHED_OTHER, 1 SCHED_FIFO, ...) and real-time priority of thread <paramref name="threadId"/> of this process, or (-1, -1).</summary>
    public static unsafe (int Policy, int Priority) Current(int threadId)
    {
        var attributes = default(LibC.SchedAttr);
        return LibC.SchedGetattr(threadId, &attributes) == 0 ? ((int)attributes.Policy, (int)attributes.Priority) : (-1, -1);
    }

    /// <summary>The slice the kernel reports for thread <paramref name="threadId"/> of this process (se.slice in /proc), or -1.</summary>
    public static long CurrentNs(int threadId)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/self/task/{threadId}/sched"))
            {
                if (line.StartsWith("se.slice", StringComparison.Ordinal)
                    && long.TryParse(line[(line.IndexOf(':') + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture, out long ns))
                {
                    return ns;
                }
            }
        }
        catch (IOException)
        {
        }
        return -1;
    }
}
