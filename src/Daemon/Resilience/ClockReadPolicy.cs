using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Sync.Clock.Abstractions;

namespace Sync.Daemon.Resilience;

/// <summary>
/// Guards the reads of one clock with Polly: Transient errors (EBUSY, EINTR, EAGAIN, ETIMEDOUT) are retried with
/// exponential backoff and jitter; a circuit breaker stops hammering a clock that keeps failing and lets one probe
/// through after the break; DeviceGone is never retried nor counted: it ends the read at once and raises
/// <see cref="DeviceGone"/> so the owner rediscovers the clock. Time comes from the injected TimeProvider.
/// </summary>
public sealed class ClockReadPolicy<T>
{
    private readonly ResiliencePipeline<ClockResult<T>> _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();

    public ClockReadPolicy(ClockReadPolicyOptions options, TimeProvider time, Func<double>? randomizer = null)
    {
        var retry = new RetryStrategyOptions<ClockResult<T>>
        {
            MaxRetryAttempts = options.MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryBaseDelay,
            MaxDelay = options.RetryMaxDelay,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { IsOk: false } r && r.Error!.Kind == ClockErrorKind.Transient),
        };
        if (randomizer is not null) retry.Randomizer = randomizer;

        var breaker = new CircuitBreakerStrategyOptions<ClockResult<T>>
        {
            FailureRatio = 1.0,
            MinimumThroughput = Math.Max(2, options.FailuresToOpenCircuit),
            SamplingDuration = options.SamplingDuration,
            BreakDuration = options.BreakDuration,
            StateProvider = _circuit,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { IsOk: false } r && r.Error!.Kind != ClockErrorKind.DeviceGone),
        };

        var builder = new ResiliencePipelineBuilder<ClockResult<T>> { TimeProvider = time }.AddCircuitBreaker(breaker);
        if (options.MaxRetryAttempts > 0) builder.AddRetry(retry);
        _pipeline = builder.Build();
    }

    public CircuitState Circuit => _circuit.CircuitState;

    /// <summary>Raised when a read reports the device gone (hot unplug, driver unbound).</summary>
    public event Action<ClockError>? DeviceGone;

    public ClockReadOutcome<T> Execute(Func<ClockResult<T>> read)
    {
        int attempts = 0;
        ClockResult<T> result;
        try
        {
            result = _pipeline.Execute(() => { attempts++; return read(); });
        }
        catch (BrokenCircuitException e)
        {
            return new ClockReadOutcome<T>(ClockReadStatus.CircuitOpen, default,
                new ClockError(ClockErrorKind.Transient, "CIRCUIT_OPEN", $"clock skipped after repeated failures; retry after {e.RetryAfter?.TotalSeconds ?? 0:0.##} s"), attempts);
        }
        return Classify(result, attempts);
    }

    public async ValueTask<ClockReadOutcome<T>> ExecuteAsync(Func<CancellationToken, ValueTask<ClockResult<T>>> read, CancellationToken cancellationToken = default)
    {
        int attempts = 0;
        ClockResult<T> result;
        try
        {
            result = await _pipeline.ExecuteAsync(ct => { attempts++; return read(ct); }, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException e)
        {
            return new ClockReadOutcome<T>(ClockReadStatus.CircuitOpen, default,
                new ClockError(ClockErrorKind.Transient, "CIRCUIT_OPEN", $"clock skipped after repeated failures; retry after {e.RetryAfter?.TotalSeconds ?? 0:0.##} s"), attempts);
        }
        return Classify(result, attempts);
    }

    private ClockReadOutcome<T> Classify(ClockResult<T> result, int attempts)
    {
        if (result.IsOk) return new ClockReadOutcome<T>(ClockReadStatus.Ok, result.Value, null, attempts);
        if (result.Error!.Kind == ClockErrorKind.DeviceGone)
        {
            DeviceGone?.Invoke(result.Error);
            return new ClockReadOutcome<T>(ClockReadStatus.DeviceGone, default, result.Error, attempts);
        }
        return new ClockReadOutcome<T>(ClockReadStatus.Failed, default, result.Error, attempts);
    }
}
