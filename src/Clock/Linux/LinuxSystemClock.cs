using Sync.Clock.Abstractions;
using Sync.Clock.Linux.Interop;
using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Clock.Linux;

/// <summary>
/// CLOCK_REALTIME through clock_adjtime: ReadState is a modes = 0 query (allowed to anyone), Apply one
/// clock_adjtime per command (plus a modes = 0 read first when the status word must be merged, and two status writes
/// after a step while a leap second is pending, see <see cref="RearmLeap"/>). Encoding in
/// <see cref="TimexEncoding"/>. Writes need a <see cref="ITimexSyscall"/> that allows them and CAP_SYS_TIME.
/// </summary>
public sealed class LinuxSystemClock(ITimexSyscall syscall) : ISystemClock
{
    public LinuxSystemClock() : this(new TimexSyscall()) { }

    public Instant<Utc> Now()
    {
        var errno = syscall.ReadRealtime(out var ns);
        if (errno != 0) throw new InvalidOperationException(ClockErrors.FromSystemClock(errno, "clock_gettime").ToString());
        return new Instant<Utc>(ns);
    }

    public (Duration Value, Duration Uncertainty)? StepOffset()
    {
        if (syscall.ReadMonotonic(out var before) != 0 || syscall.ReadRealtime(out var realtime) != 0
            || syscall.ReadMonotonic(out var after) != 0 || after < before)
            return null;
        var span = after - before;
        return (new Duration(realtime - (before + span / 2)), new Duration((span + 1) / 2));
    }

    public ClockResult<KernelClockState> ReadState()
    {
        var raw = ReadRaw();
        return raw.IsOk ? ClockResult<KernelClockState>.Ok(TimexEncoding.Decode(raw.Value.Timex)) : raw.Error!;
    }

    public ClockResult<KernelClockState> Apply(ClockCommand command)
    {
        if (command.IsEmpty) return ReadState();
        if (!syscall.WritesAllowed)
            return new ClockError(ClockErrorKind.PermissionDenied, "EPERM", "writing the system clock is not enabled (only `sync` with writing on may steer it)");
        var currentStatus = 0;
        if (command.Status is not null)
        {
            var current = ReadRaw();
            if (!current.IsOk) return current.Error!;
            currentStatus = current.Value.Timex.Status;
        }
        var encoded = TimexEncoding.Encode(command, currentStatus);
        if (!encoded.IsOk) return encoded.Error!;
        var timex = encoded.Value;
        var state = syscall.ClockAdjtime(ref timex, out var errno);
        if (state < 0) return ClockErrors.FromSystemClock(errno, $"clock_adjtime({TimexFlags.DescribeModes(encoded.Value.Modes)})");
        if (command.Step is not null && TimexEncoding.TimeState(state) is KernelTimeState.InsertingLeap or KernelTimeState.DeletingLeap)
            return RearmLeap(encoded.Value.Status);
        return ClockResult<KernelClockState>.Ok(TimexEncoding.Decode(timex));
    }

    /// <summary>
    /// A step (ADJ_SETOFFSET) makes the kernel forget the pending leap second: it clears the NTP state (ntp_clear sets
    /// the next leap to "never") but leaves the state machine in TIME_INS/TIME_DEL, so the second is silently not
    /// inserted at midnight (seen in the VM lab, kernel 7.2). Turning STA_PLL on and off again resets the state to TIME_OK,
    /// and at the next second the kernel arms the leap for the coming midnight from STA_INS/STA_DEL — what the kernel's own
    /// leap-a-day selftest does before setting STA_INS.
    /// </summary>
    private ClockResult<KernelClockState> RearmLeap(int status)
    {
        var pllOn = new Timex { Modes = TimexFlags.AdjStatus, Status = status | TimexFlags.StaPll };
        if (syscall.ClockAdjtime(ref pllOn, out var errno) < 0)
            return ClockErrors.FromSystemClock(errno, "clock_adjtime(status, re-arming the leap second after a step)");
        var pllOff = new Timex { Modes = TimexFlags.AdjStatus, Status = status & ~TimexFlags.StaPll };
        if (syscall.ClockAdjtime(ref pllOff, out errno) < 0)
            return ClockErrors.FromSystemClock(errno, "clock_adjtime(status, re-arming the leap second after a step)");
        return ClockResult<KernelClockState>.Ok(TimexEncoding.Decode(pllOff));
    }

    /// <summary>The full timex of a modes = 0 query and the clock state it returned.</summary>
    public ClockResult<(Timex Timex, int State)> ReadRaw()
    {
        var timex = new Timex();
        var state = syscall.ClockAdjtime(ref timex, out var errno);
        if (state < 0) return ClockErrors.FromSystemClock(errno, "clock_adjtime(modes=0)");
        return ClockResult<(Timex, int)>.Ok((timex, state));
    }
}
