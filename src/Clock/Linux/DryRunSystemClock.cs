using Microsoft.Extensions.Logging;
using Sync.Clock.Abstractions;
using Sync.Filters.Discipline;
using Sync.Filters.Time;

namespace Sync.Clock.Linux;

/// <summary>
/// For `--dry-run`: reads the real clock (Now, ReadState) but never writes it. Apply logs (at Debug, it happens
/// every update) the exact clock_adjtime call the real clock would make and returns the unchanged current state.
/// </summary>
public sealed partial class DryRunSystemClock(ISystemClock inner, ILogger logger) : ISystemClock
{
    public Instant<Utc> Now() => inner.Now();

    public ClockResult<KernelClockState> ReadState() => inner.ReadState();

    public (Duration Value, Duration Uncertainty)? StepOffset() => inner.StepOffset();

    public ClockResult<KernelClockState> Apply(ClockCommand command)
    {
        var state = inner.ReadState();
        if (!state.IsOk || command.IsEmpty) return state;
        var encoded = TimexEncoding.Encode(command, (int)state.Value.Status);
        if (!encoded.IsOk) return encoded.Error!;
        LogWouldApply(TimexEncoding.Describe(encoded.Value));
        return state;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "dry run: would call {Call}")]
    private partial void LogWouldApply(string call);
}
