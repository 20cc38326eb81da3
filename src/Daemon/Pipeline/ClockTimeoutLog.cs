using Microsoft.Extensions.Logging;
using Sync.Clock.Abstractions;

namespace Sync.Daemon.Pipeline;

/// <summary>
/// Logs when a reference clock stops answering (the first Timeout of an episode, at Warning) and when it reads
/// again (at Information, with how many readings timed out in between), instead of one line per failed reading.
/// Fed by <see cref="SyncLoop.ReadCompleted"/>; the loop's thread is the only caller.
/// </summary>
public sealed partial class ClockTimeoutLog(ILogger log)
{
    private readonly Dictionary<IReferenceClock, long> _timeoutsByClock = new(ReferenceEqualityComparer.Instance);

    /// <summary>Clocks currently in a timeout episode.</summary>
    public int NotAnswering => _timeoutsByClock.Count;

    public void Observe(IReferenceClock clock, ClockError? error)
    {
        if (error is { Kind: ClockErrorKind.Timeout })
        {
            _timeoutsByClock.TryGetValue(clock, out var count);
            if (count == 0)
                LogNotAnswering(clock.Info.Path, error.Message);
            _timeoutsByClock[clock] = count + 1;
            return;
        }
        if (error is null && _timeoutsByClock.Remove(clock, out var timedOut))
            LogAnswersAgain(clock.Info.Path, timedOut);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Path} does not answer: {Error}; failing over to the next clock or holding over until it reads again")]
    private partial void LogNotAnswering(string path, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path} reads again after {TimedOut} readings timed out")]
    private partial void LogAnswersAgain(string path, long timedOut);
}
