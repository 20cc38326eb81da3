using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using Sync.Clock.Abstractions;
using Sync.Daemon.Resilience;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests;

/// <summary>A clock whose next results are scripted; counts calls.</summary>
internal sealed class ScriptedClock(string path) : IReferenceClock
{
    public Queue<ClockErrorKind?> Script { get; } = new();
    public int Calls { get; private set; }
    public bool Disposed { get; private set; }

    public ReferenceClockInfo Info { get; } = new(path, "Virtio PTP type 1/variant 0", ClockScale.Tai);
    public ReadingMethod? Method => ReadingMethod.Extended;

    public ClockResult<PhcReading> Read(int samplesPerReading)
    {
        Calls++;
        var next = Script.Count > 0 ? Script.Dequeue() : null;
        if (next is { } kind) return new ClockError(kind, kind == ClockErrorKind.DeviceGone ? "ENODEV" : "EBUSY", $"read {path}");
        return ClockResult<PhcReading>.Ok(null!); // the value itself does not matter to the policy
    }

    public void Dispose() => Disposed = true;
}

public sealed class ResilienceTests
{
    private static readonly ClockReadPolicyOptions Options = new()
    {
        MaxRetryAttempts = 2,
        RetryBaseDelay = TimeSpan.FromMilliseconds(2),
        RetryMaxDelay = TimeSpan.FromMilliseconds(20),
        FailuresToOpenCircuit = 4,
        SamplingDuration = TimeSpan.FromSeconds(1),
        BreakDuration = TimeSpan.FromSeconds(5),
        ReattachInterval = TimeSpan.FromSeconds(1),
    };

    private static ClockResult<int> Fail(ClockErrorKind kind) => new ClockError(kind, "E", "test");

    /// <summary>Runs a synchronous read on another thread while moving fake time until it finishes (retry delays wait on it).</summary>
    private static T DriveFakeTime<T>(FakeTimeProvider time, Func<T> action, List<TimeSpan>? waited = null)
    {
        var task = Task.Run(action);
        var start = time.GetUtcNow();
        while (!task.Wait(TimeSpan.FromMilliseconds(2)))
            time.Advance(TimeSpan.FromMilliseconds(1));
        waited?.Add(time.GetUtcNow() - start);
        return task.GetAwaiter().GetResult();
    }

    [Fact]
    public void TransientErrorsAreRetriedWithGrowingJitteredDelays()
    {
        var time = new FakeTimeProvider();
        var policy = new ClockReadPolicy<int>(Options, time, randomizer: () => 0.5);
        int calls = 0;
        var outcome = DriveFakeTime(time, () => policy.Execute(() => ++calls < 3 ? Fail(ClockErrorKind.Transient) : ClockResult<int>.Ok(7)));
        Assert.Equal(ClockReadStatus.Ok, outcome.Status);
        Assert.Equal(7, outcome.Value);
        Assert.Equal(3, outcome.Attempts);
        Assert.True(time.GetUtcNow() - time.Start >= TimeSpan.FromMilliseconds(2), "retries waited on the injected clock");
        Assert.True(time.GetUtcNow() - time.Start < TimeSpan.FromMilliseconds(100), "retries stay well inside one 250 ms read interval");
    }

    [Fact]
    public void TransientErrorsGiveUpAfterMaxRetries()
    {
        var time = new FakeTimeProvider();
        var policy = new ClockReadPolicy<int>(Options, time, () => 0.5);
        int calls = 0;
        var outcome = DriveFakeTime(time, () => policy.Execute(() => { calls++; return Fail(ClockErrorKind.Transient); }));
        Assert.Equal(ClockReadStatus.Failed, outcome.Status);
        Assert.Equal(3, calls);
        Assert.Equal(ClockErrorKind.Transient, outcome.Error!.Kind);
    }

    [Theory]
    [InlineData(ClockErrorKind.InvalidArgument)]
    [InlineData(ClockErrorKind.PermissionDenied)]
    [InlineData(ClockErrorKind.NotSupported)]
    [InlineData(ClockErrorKind.Other)]
    public void NonTransientErrorsAreNotRetried(ClockErrorKind kind)
    {
        var policy = new ClockReadPolicy<int>(Options, new FakeTimeProvider());
        int calls = 0;
        var outcome = policy.Execute(() => { calls++; return Fail(kind); });
        Assert.Equal(ClockReadStatus.Failed, outcome.Status);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void DeviceGoneStopsAtOnceAndSignalsRediscovery()
    {
        var policy = new ClockReadPolicy<int>(Options, new FakeTimeProvider());
        ClockError? signalled = null;
        policy.DeviceGone += e => signalled = e;
        int calls = 0;
        var outcome = policy.Execute(() => { calls++; return Fail(ClockErrorKind.DeviceGone); });
        Assert.Equal(ClockReadStatus.DeviceGone, outcome.Status);
        Assert.Equal(1, calls);
        Assert.NotNull(signalled);
        for (int i = 0; i < 10; i++) policy.Execute(() => Fail(ClockErrorKind.DeviceGone));
        Assert.Equal(CircuitState.Closed, policy.Circuit); // gone is not a failure of the circuit
    }

    [Fact]
    public void CircuitOpensAfterConsecutiveFailuresAndProbesAfterTheBreak()
    {
        var time = new FakeTimeProvider();
        var policy = new ClockReadPolicy<int>(Options with { MaxRetryAttempts = 0 }, time);
        int calls = 0;
        ClockResult<int> Failing() { calls++; return Fail(ClockErrorKind.Other); }

        for (int i = 0; i < 3; i++) Assert.Equal(ClockReadStatus.Failed, policy.Execute(Failing).Status);
        Assert.Equal(CircuitState.Closed, policy.Circuit);
        Assert.Equal(ClockReadStatus.Failed, policy.Execute(Failing).Status); // 4th
        Assert.Equal(CircuitState.Open, policy.Circuit);

        var rejected = policy.Execute(Failing);
        Assert.Equal(ClockReadStatus.CircuitOpen, rejected.Status);
        Assert.Equal(4, calls); // the clock was not touched
        Assert.Equal("CIRCUIT_OPEN", rejected.Error!.ErrnoName);

        time.Advance(TimeSpan.FromSeconds(5));
        var probe = policy.Execute(() => { calls++; return ClockResult<int>.Ok(1); });
        Assert.Equal(ClockReadStatus.Ok, probe.Status);
        Assert.Equal(5, calls);
        Assert.Equal(CircuitState.Closed, policy.Circuit);
    }

    [Fact]
    public void FailedProbeReopensTheCircuit()
    {
        var time = new FakeTimeProvider();
        var policy = new ClockReadPolicy<int>(Options with { MaxRetryAttempts = 0 }, time);
        for (int i = 0; i < 4; i++) policy.Execute(() => Fail(ClockErrorKind.Other));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(ClockReadStatus.Failed, policy.Execute(() => Fail(ClockErrorKind.Other)).Status);
        Assert.Equal(CircuitState.Open, policy.Circuit);
    }

    [Fact]
    public void ClockThatFailsThenRecoversKeepsDelivering()
    {
        var time = new FakeTimeProvider();
        var fake = new ScriptedClock("/dev/ptp0");
        fake.Script.Enqueue(ClockErrorKind.Transient);
        fake.Script.Enqueue(ClockErrorKind.Transient);
        using var clock = new ResilientReferenceClock(fake.Info, () => ClockResult<IReferenceClock>.Ok(fake), Options, time, () => 0.5);
        var result = DriveFakeTime(time, () => clock.Read(9));
        Assert.True(result.IsOk);
        Assert.Equal(3, fake.Calls);
        Assert.Equal(ClockReadStatus.Ok, clock.LastStatus);
    }

    [Fact]
    public void ClockThatDisappearsIsFoundAgainUnderANewNumber()
    {
        var time = new FakeTimeProvider();
        var first = new ScriptedClock("/dev/ptp0");
        var second = new ScriptedClock("/dev/ptp4");
        IReferenceClock? present = first;
        int opens = 0;
        ClockResult<IReferenceClock> Open()
        {
            opens++;
            return present is { } c ? ClockResult<IReferenceClock>.Ok(c) : new ClockError(ClockErrorKind.DeviceGone, "ENOENT", "no clock named Virtio PTP type 1/variant 0");
        }

        using var clock = new ResilientReferenceClock(first.Info, Open, Options, time);
        Assert.True(clock.Read(9).IsOk);
        Assert.Equal("/dev/ptp0", clock.Info.Path);

        // Hot unplug: the read reports ENODEV, the handle is closed, the device is not there any more.
        first.Script.Enqueue(ClockErrorKind.DeviceGone);
        present = null;
        var gone = clock.Read(9);
        Assert.Equal(ClockErrorKind.DeviceGone, gone.Error!.Kind);
        Assert.True(first.Disposed);
        Assert.False(clock.IsAttached);

        // While away: fail fast, look again at most once per ReattachInterval.
        Assert.Equal(ClockErrorKind.DeviceGone, clock.Read(9).Error!.Kind);
        Assert.Equal(1, opens);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ClockErrorKind.DeviceGone, clock.Read(9).Error!.Kind);
        Assert.Equal(2, opens);

        // It comes back as another /dev/ptpN.
        present = second;
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(clock.Read(9).IsOk);
        Assert.True(clock.IsAttached);
        Assert.Equal("/dev/ptp4", clock.Info.Path);
        Assert.Equal(1, clock.Reattachments);
        Assert.Equal(1, second.Calls);
    }

    [Fact]
    public void OpenCircuitOnAClockIsReportedAsTransient()
    {
        var time = new FakeTimeProvider();
        var fake = new ScriptedClock("/dev/ptp0");
        for (int i = 0; i < 4; i++) fake.Script.Enqueue(ClockErrorKind.PermissionDenied);
        using var clock = new ResilientReferenceClock(fake.Info, () => ClockResult<IReferenceClock>.Ok(fake), Options, time);
        for (int i = 0; i < 4; i++) Assert.False(clock.Read(9).IsOk);
        var skipped = clock.Read(9);
        Assert.Equal(ClockReadStatus.CircuitOpen, clock.LastStatus);
        Assert.Equal(ClockErrorKind.Transient, skipped.Error!.Kind);
        Assert.Equal(4, fake.Calls);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(clock.Read(9).IsOk);
    }
}
