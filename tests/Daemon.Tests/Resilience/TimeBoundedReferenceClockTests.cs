using Microsoft.Extensions.Time.Testing;
using Sync.Clock.Abstractions;
using Sync.Daemon.Resilience;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Daemon.Tests.Resilience;

/// <summary>
/// A clock whose reads block while its gate is closed, like a virtio-rtc PHC whose vhost-user back end died.
/// Signals each read it enters, so a test knows the read is running before it moves fake time.
/// </summary>
internal sealed class GatedClock : IReferenceClock
{
    private readonly ManualResetEventSlim _open = new(true);
    private readonly SemaphoreSlim _entered = new(0);
    private int _calls;
    private long _nextValue = 1;

    public ReferenceClockInfo Info { get; } = new("/dev/ptp0", "Virtio PTP type 0/variant 0", ClockScale.Utc);
    public ReadingMethod? Method => ReadingMethod.Extended;
    public int Calls => Volatile.Read(ref _calls);
    public ManualResetEventSlim Disposed { get; } = new(false);
    public int? DisposedOnThread { get; private set; }

    public void Close() => _open.Reset();
    public void Open() => _open.Set();

    /// <summary>Forgets reads that entered before, so <see cref="WaitForRead"/> waits for the next one.</summary>
    public void ResetEntered() { while (_entered.Wait(0)) { } }

    /// <summary>Waits (generously) until a read has entered the clock; false means none did.</summary>
    public bool WaitForRead() => _entered.Wait(TimeSpan.FromSeconds(30));

    public ClockResult<PhcReading> Read(int samplesPerReading)
    {
        Interlocked.Increment(ref _calls);
        var value = Interlocked.Increment(ref _nextValue);
        _entered.Release();
        _open.Wait();
        return ClockResult<PhcReading>.Ok(new PhcReading(ReadingMethod.Extended, ClockScale.Utc, [new SampleTriple(value, value, value)]));
    }

    public void Dispose()
    {
        DisposedOnThread = Environment.CurrentManagedThreadId;
        Disposed.Set();
    }
}

public sealed class TimeBoundedReferenceClockTests
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Wall-clock limit on waits that end at once when the code is right: a bug fails the test instead of hanging the run.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    /// <summary>A read that the gated clock blocks: waits until it is inside the clock, then lets the timeout pass.</summary>
    private static async Task<ClockResult<PhcReading>> TimedOutRead(TimeBoundedReferenceClock bounded, GatedClock inner, FakeTimeProvider time)
    {
        inner.ResetEntered();
        var read = Task.Run(() => bounded.Read(9));
        Assert.True(inner.WaitForRead(), "the read reached the clock");
        Assert.False(read.IsCompleted, "the read waits while the clock does not answer");
        time.Advance(ReadTimeout);
        return await read.WaitAsync(Guard);
    }

    private static long FirstSys(ClockResult<PhcReading> result) => result.Value.Samples[0].SysBeforeNs;

    [Fact]
    public void AFastReadReturnsTheInnerResult()
    {
        var time = new FakeTimeProvider();
        var inner = new GatedClock();
        using var bounded = new TimeBoundedReferenceClock(inner, ReadTimeout, time, firstReadTimeout: ReadTimeout);

        var first = bounded.Read(9);
        var second = bounded.Read(9);

        Assert.True(first.IsOk);
        Assert.True(second.IsOk);
        Assert.NotEqual(FirstSys(first), FirstSys(second));
        Assert.Equal(2, inner.Calls);
        Assert.Equal(0, bounded.Timeouts);
        Assert.Equal(inner.Info, bounded.Info);
        Assert.Equal(ReadingMethod.Extended, bounded.Method);
    }

    [Fact]
    public async Task TheFirstReadGetsTenTimesTheTimeoutByDefaultLaterOnesTheTimeout()
    {
        var time = new FakeTimeProvider();
        var inner = new GatedClock();
        using var bounded = new TimeBoundedReferenceClock(inner, ReadTimeout, time);
        inner.Close();

        inner.ResetEntered();
        var first = Task.Run(() => bounded.Read(9));
        Assert.True(inner.WaitForRead());
        time.Advance(ReadTimeout * 10 - TimeSpan.FromMilliseconds(1));
        await Task.WhenAny(first, Task.Delay(TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken));
        Assert.False(first.IsCompleted, "the first read may take up to 10 x the timeout");
        inner.ResetEntered();
        inner.Open();
        Assert.True((await first.WaitAsync(Guard)).IsOk);

        inner.Close();
        inner.ResetEntered();
        var second = Task.Run(() => bounded.Read(9));
        Assert.True(inner.WaitForRead());
        time.Advance(ReadTimeout);
        var result = await second.WaitAsync(Guard);
        Assert.Equal(ClockErrorKind.Timeout, result.Error!.Kind);
        inner.Open();
    }

    [Fact]
    public async Task AReadThatBlocksReturnsTimeoutAfterTheReadTimeout()
    {
        var time = new FakeTimeProvider();
        var inner = new GatedClock();
        using var bounded = new TimeBoundedReferenceClock(inner, ReadTimeout, time, firstReadTimeout: ReadTimeout);
        inner.Close();

        inner.ResetEntered();
        var read = Task.Run(() => bounded.Read(9));
        Assert.True(inner.WaitForRead());
        time.Advance(ReadTimeout - TimeSpan.FromMilliseconds(1));
        await Task.WhenAny(read, Task.Delay(TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken));
        Assert.False(read.IsCompleted, "no timeout before the read timeout has passed");
        time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await read.WaitAsync(Guard);

        Assert.False(result.IsOk);
        Assert.Equal(ClockErrorKind.Timeout, result.Error!.Kind);
        Assert.Contains("/dev/ptp0", result.Error.Message);
        Assert.Contains("2000 ms", result.Error.Message);
        Assert.True(bounded.IsStuck);
        Assert.Equal(1, bounded.Timeouts);
        inner.Open();
    }

    [Fact]
    public async Task WhileAReadIsStuckLaterReadsFailAtOnceWithoutCallingTheClock()
    {
        var time = new FakeTimeProvider();
        var inner = new GatedClock();
        using var bounded = new TimeBoundedReferenceClock(inner, ReadTimeout, time, firstReadTimeout: ReadTimeout);
        inner.Close();
        Assert.Equal(ClockErrorKind.Timeout, (await TimedOutRead(bounded, inner, time)).Error!.Kind);

        time.Advance(TimeSpan.FromSeconds(10));
        var later = new List<ClockResult<PhcReading>>();
        for (var i = 0; i < 5; i++)
            later.Add(bounded.Read(9)); // on this thread: it would hang here if it waited for the device

        Assert.All(later, r => Assert.Equal(ClockErrorKind.Timeout, r.Error!.Kind));
        Assert.Contains("12 s ago is still stuck", later[0].Error!.Message);
        Assert.Equal(1, inner.Calls);
        Assert.Equal(6, bounded.Timeouts);
        inner.Open();
    }

    [Fact]
    public async Task WhenTheStuckReadReturnsItsResultIsDiscardedAndReadsWorkAgain()
    {
        var time = new FakeTimeProvider();
        var inner = new GatedClock();
        using var bounded = new TimeBoundedReferenceClock(inner, ReadTimeout, time, firstReadTimeout: ReadTimeout);
        var before = bounded.Read(9);
        inner.Close();
        Assert.Equal(ClockErrorKind.Timeout, (await TimedOutRead(bounded, inner, time)).Error!.Kind);

        inner.Open();
        Assert.True(SpinWait.SpinUntil(() => !bounded.IsStuck, TimeSpan.FromSeconds(30)), "the stuck read returned");
        var after = bounded.Read(9);

        Assert.True(after.IsOk);
        Assert.Equal(3, inner.Calls);
        Assert.Equal(1, bounded.StaleResults);
        // Values count up per call: 'after' is the third call's, not the stale second one's.
        Assert.Equal(FirstSys(before) + 2, FirstSys(after));
    }

    [Fact]
    public void DisposeStopsAnIdleWorkerAndDisposesTheClock()
    {
        var inner = new GatedClock();
        var bounded = new TimeBoundedReferenceClock(inner, ReadTimeout, new FakeTimeProvider(), firstReadTimeout: ReadTimeout);
        Assert.True(bounded.Read(9).IsOk);

        bounded.Dispose();

        Assert.True(inner.Disposed.IsSet, "disposed before Dispose returned");
        Assert.NotEqual(Environment.CurrentManagedThreadId, inner.DisposedOnThread);
        Assert.Throws<ObjectDisposedException>(() => bounded.Read(9));
    }

    [Fact]
    public async Task DisposeDoesNotWaitForAStuckReadAndTheClockIsDisposedWhenItReturns()
    {
        var time = new FakeTimeProvider();
        var inner = new GatedClock();
        var bounded = new TimeBoundedReferenceClock(inner, ReadTimeout, time, firstReadTimeout: ReadTimeout);
        inner.Close();
        Assert.Equal(ClockErrorKind.Timeout, (await TimedOutRead(bounded, inner, time)).Error!.Kind);

        bounded.Dispose(); // would hang here if it joined the stuck worker
        Assert.False(inner.Disposed.IsSet, "the clock is not disposed under a running read");

        inner.Open();
        Assert.True(inner.Disposed.Wait(TimeSpan.FromSeconds(30)), "disposed once the stuck read returned");
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public void AnExceptionFromTheClockBecomesAnError()
    {
        using var bounded = new TimeBoundedReferenceClock(new ThrowingClock(), ReadTimeout, new FakeTimeProvider(), firstReadTimeout: ReadTimeout);

        var result = bounded.Read(9);

        Assert.Equal(ClockErrorKind.Other, result.Error!.Kind);
        Assert.Contains("boom", result.Error.Message);
        Assert.True(bounded.Read(9).Error is { Kind: ClockErrorKind.Other }, "the worker survives");
    }

    [Fact]
    public void ANonPositiveTimeoutIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeBoundedReferenceClock(new GatedClock(), TimeSpan.Zero));
    }

    private sealed class ThrowingClock : IReferenceClock
    {
        public ReferenceClockInfo Info { get; } = new("/dev/ptp1", "x", ClockScale.Utc);
        public ReadingMethod? Method => null;
        public ClockResult<PhcReading> Read(int samplesPerReading) => throw new InvalidOperationException("boom");
        public void Dispose() { }
    }
}
