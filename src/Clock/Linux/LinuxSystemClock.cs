using Sync.Clock.Abstractions;
using Sync.Clock.Linux.Interop;
using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Clock.Linux;

/// <summary>
/// CLOCK_REALTIME through clock_adjtime: ReadState is a modes = 0 query (allowed to anyone), Apply one
/// clock_adjtime per command (plus a modes = 0 read first when the status word must be merged). Encoding in
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

    public ClockResult<KernelClockState> ReadState()
    {
        var raw = ReadRaw();
        return raw.IsOk ? ClockResult<KernelClockState>.Ok(TimexEncoding.Decode(raw.Value.Timex, raw.Value.State)) : raw.Error!;
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
        return ClockResult<KernelClockState>.Ok(TimexEncoding.Decode(timex, state));
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
