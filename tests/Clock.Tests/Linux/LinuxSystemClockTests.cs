using Microsoft.Extensions.Logging;
using Sync.Clock.Abstractions;
using Sync.Clock.Linux;
using Sync.Clock.Linux.Interop;
using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.Linux;

public class LinuxSystemClockTests
{
    [Fact]
    public void ReadState_IsAModesZeroQuery()
    {
        var fake = new FakeTimexSyscall();
        fake.State.Freq = 65_536 * 7;
        fake.State.Tai = 37;

        var state = new LinuxSystemClock(fake).ReadState().Value;

        Assert.Equal(0u, Assert.Single(fake.Calls).Modes);
        Assert.Equal(7.0, state.FrequencyPpm, 9);
        Assert.Equal(37, state.TaiOffsetSeconds);
        Assert.True(state.Status.HasFlag(ClockStatus.Unsynchronized));
    }

    [Fact]
    public void A_step_while_a_leap_second_is_pending_rearms_the_leap()
    {
        var fake = new FakeTimexSyscall();
        var clock = new LinuxSystemClock(fake);
        clock.Apply(new ClockCommand { Status = ClockStatus.InsertLeap });
        Assert.True(fake.LeapArmed);
        var callsBefore = fake.Calls.Count;

        var state = clock.Apply(new ClockCommand { Step = Duration.FromMicroseconds(51), Status = ClockStatus.InsertLeap }).Value;

        Assert.True(fake.LeapArmed);
        Assert.Equal(KernelTimeState.InsertingLeap, TimexEncoding.TimeState(fake.ClockState));
        Assert.True(state.Status.HasFlag(ClockStatus.InsertLeap));
        Assert.Equal(0, fake.State.Status & TimexFlags.StaPll);
        var statusWrites = fake.Calls.Skip(callsBefore).Where(c => c.Modes == TimexFlags.AdjStatus).ToList();
        Assert.Equal(2, statusWrites.Count);
        Assert.NotEqual(0, statusWrites[0].Status & TimexFlags.StaPll);
        Assert.Equal(0, statusWrites[1].Status & TimexFlags.StaPll);
    }

    [Fact]
    public void A_step_without_a_pending_leap_is_one_write()
    {
        var fake = new FakeTimexSyscall();
        var clock = new LinuxSystemClock(fake);

        clock.Apply(new ClockCommand { Step = Duration.FromMicroseconds(51), Status = ClockStatus.None });

        Assert.Single(fake.Calls, c => c.Modes != 0);
        Assert.False(fake.LeapArmed);
    }

    [Fact]
    public void Apply_WholeCommand_OneWriteAfterOneStatusRead_StateFromTheKernel()
    {
        var fake = new FakeTimexSyscall();
        fake.State.Status |= TimexFlags.StaFll;
        var clock = new LinuxSystemClock(fake);

        var state = clock.Apply(new ClockCommand
        {
            FrequencyPpm = -2000,
            Step = Duration.FromMilliseconds(-1.5),
            Status = ClockStatus.None,
            MaxError = Duration.FromMicroseconds(100),
            EstimatedError = Duration.FromMicroseconds(5),
            TaiOffsetSeconds = 37,
        }).Value;

        Assert.Equal(2, fake.Calls.Count);
        Assert.Equal(0u, fake.Calls[0].Modes);
        var write = fake.Calls[1];
        Assert.Equal(TimexFlags.AdjFrequency | TimexFlags.AdjTick | TimexFlags.AdjSetOffset | TimexFlags.AdjNano | TimexFlags.AdjStatus
            | TimexFlags.AdjMaxError | TimexFlags.AdjEstError | TimexFlags.AdjTai, write.Modes);
        Assert.Equal(9_980, write.Tick);
        Assert.Equal(0, write.Freq);
        Assert.Equal((-1L, 998_500_000L), (write.TimeSeconds, write.TimeFraction));
        Assert.Equal(TimexFlags.StaFll, write.Status);
        Assert.Equal(-1_500_000, fake.StepsAppliedNs);
        Assert.Equal(-2000.0, state.FrequencyPpm, 9);
        Assert.Equal(37, state.TaiOffsetSeconds);
        Assert.False(state.Status.HasFlag(ClockStatus.Unsynchronized));
        Assert.Equal(Duration.FromMicroseconds(100), state.MaxError);
    }

    [Fact]
    public void Apply_WithoutStatus_NeedsNoRead()
    {
        var fake = new FakeTimexSyscall();
        new LinuxSystemClock(fake).Apply(new ClockCommand { FrequencyPpm = 1 });
        Assert.Equal(TimexFlags.AdjFrequency | TimexFlags.AdjTick | TimexFlags.AdjNano, Assert.Single(fake.Calls).Modes);
    }

    [Fact]
    public void Apply_WhenWritesAreNotEnabled_RefusesWithoutAnyWrite()
    {
        var fake = new FakeTimexSyscall(writesAllowed: false);

        var result = new LinuxSystemClock(fake).Apply(new ClockCommand { FrequencyPpm = 1 });

        Assert.Equal(ClockErrorKind.PermissionDenied, result.Error!.Kind);
        Assert.All(fake.Calls, c => Assert.Equal(0u, c.Modes));
    }

    [Fact]
    public void Apply_WithoutCapSysTime_SaysSo()
    {
        var fake = new FakeTimexSyscall { WriteErrno = Errno.EPERM };

        var error = new LinuxSystemClock(fake).Apply(new ClockCommand { Step = Duration.FromSeconds(1) }).Error!;

        Assert.Equal(ClockErrorKind.PermissionDenied, error.Kind);
        Assert.Equal("EPERM", error.ErrnoName);
        Assert.Contains("steering the clock needs CAP_SYS_TIME", error.Message);
    }

    [Fact]
    public void Apply_InvalidCommand_NeverReachesTheKernel()
    {
        var fake = new FakeTimexSyscall();
        var result = new LinuxSystemClock(fake).Apply(new ClockCommand { FrequencyPpm = double.NaN });
        Assert.Equal(ClockErrorKind.InvalidArgument, result.Error!.Kind);
        Assert.Empty(fake.Calls);
    }

    [Fact]
    public void Now_IsClockRealtime()
    {
        var fake = new FakeTimexSyscall { RealtimeNs = 123_456_789 };
        Assert.Equal(new Instant<Utc>(123_456_789), new LinuxSystemClock(fake).Now());
    }

    [Fact]
    public void DryRun_LogsTheExactCall_AndNeverWrites()
    {
        var fake = new FakeTimexSyscall();
        var log = new ListLogger();
        var clock = new DryRunSystemClock(new LinuxSystemClock(fake), log);

        var state = clock.Apply(new ClockCommand { FrequencyPpm = 600, Status = ClockStatus.None });

        Assert.True(state.IsOk);
        Assert.All(fake.Calls, c => Assert.Equal(0u, c.Modes));
        var line = Assert.Single(log.Lines);
        Assert.Contains("ADJ_FREQUENCY|ADJ_STATUS|ADJ_NANO|ADJ_TICK", line);
        Assert.Contains("tick=10006", line);
        Assert.Contains("status=0x0000", line);
        Assert.True(state.Value.Status.HasFlag(ClockStatus.Unsynchronized));
    }

    [Fact]
    public void RealKernel_StepOffsetIsRealtimeMinusMonotonicAndStillWithoutSteps()
    {
        // Reads only (clock_gettime). Nothing steps this machine's clock between two looks, and slews move both clocks.
        var clock = new LinuxSystemClock(new TimexSyscall());

        var first = clock.StepOffset();
        var wall = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;
        var monotonic = System.Diagnostics.Stopwatch.GetTimestamp() * (1_000_000_000.0 / System.Diagnostics.Stopwatch.Frequency);
        var second = clock.StepOffset();

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.InRange(first.Value.Value.Nanoseconds, wall - monotonic - 5e9, wall - monotonic + 5e9);
        var change = (second.Value.Value - first.Value.Value).Abs();
        Assert.True(change <= first.Value.Uncertainty + second.Value.Uncertainty + Duration.FromMicroseconds(1),
            $"realtime - monotonic moved by {change} between two looks (uncertainties {first.Value.Uncertainty}, {second.Value.Uncertainty})");
    }

    [Fact]
    public void StepOffsetIsUnknownWithoutAMonotonicClock()
    {
        Assert.Null(new LinuxSystemClock(new FakeTimexSyscall()).StepOffset());
    }

    [Fact]
    public void RealKernel_ReadOnlyQuery_Works()
    {
        // modes = 0 only: a read anyone may make. TimexSyscall is created without writes.
        var clock = new LinuxSystemClock(new TimexSyscall());

        var state = clock.ReadState();
        var now = clock.Now();

        Assert.True(state.IsOk, state.Error?.ToString());
        Assert.InRange(state.Value.FrequencyPpm, -ClockCommand.MaxFrequencyPpm, ClockCommand.MaxFrequencyPpm);
        Assert.True(state.Value.MaxError >= Duration.Zero && state.Value.EstimatedError >= Duration.Zero);
        Assert.InRange(clock.ReadRaw().Value.State, 0, 5); // TIME_OK .. TIME_ERROR
        var wall = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L;
        Assert.InRange(now.Nanoseconds, wall - 5_000_000_000L, wall + 5_000_000_000L);
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
