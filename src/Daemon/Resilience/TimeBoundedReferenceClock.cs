using Sync.Clock.Abstractions;
using Sync.Filters.Samples;

namespace Sync.Daemon.Resilience;

/// <summary>
/// Bounds how long a read of the inner clock may take. A PHC ioctl on a virtio-rtc clock blocks while the host's
/// vhost-user back end is dead (the driver waits for a virtqueue answer that does not come), which would stall the
/// caller. Here every read runs on one dedicated background thread per clock; the caller waits at most
/// <c>readTimeout</c> (on the injected <see cref="TimeProvider"/>) and then gets a <see cref="ClockErrorKind.Timeout"/>
/// error. While that read is still stuck, later reads fail at once without touching the device (no pile-up). When
/// the stuck read finally returns, its result is discarded as stale and the next read goes to the device again.
/// The decorator owns the inner clock: it is disposed on the worker thread once no read is running on it.
/// Until the clock has answered once, reads get <c>firstReadTimeout</c> (default 10 x <c>readTimeout</c>): the first read
/// pays for warming up (a JIT-compiled daemon in the VM lab's emulated guest took more than 2 s for it under load).
/// </summary>
public sealed class TimeBoundedReferenceClock : IReferenceClock
{
    private const int Waiting = 0, Completed = 1, Abandoned = 2;

    private readonly IReferenceClock _inner;
    private readonly TimeSpan _readTimeout;
    private readonly TimeSpan _firstReadTimeout;
    private volatile bool _answered;
    private readonly TimeProvider _time;
    private readonly Thread _worker;
    private readonly SemaphoreSlim _workAvailable = new(0);
    private readonly object _gate = new();
    private PendingRead? _inFlight;
    private bool _disposed;
    private long _timeouts;
    private long _staleResults;

    public TimeBoundedReferenceClock(IReferenceClock inner, TimeSpan readTimeout, TimeProvider? time = null, TimeSpan? firstReadTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(readTimeout, TimeSpan.Zero);
        _inner = inner;
        _readTimeout = readTimeout;
        _firstReadTimeout = firstReadTimeout is { } first ? (first > readTimeout ? first : readTimeout) : readTimeout * 10;
        _time = time ?? TimeProvider.System;
        _worker = new Thread(RunWorker) { IsBackground = true, Name = $"virtsync read {inner.Info.Path}" };
        _worker.Start();
    }

    public IReferenceClock Inner => _inner;
    public TimeSpan ReadTimeout => _readTimeout;
    public ReferenceClockInfo Info => _inner.Info;
    public ReadingMethod? Method => _inner.Method;

    /// <summary>True while a read that timed out has not returned yet.</summary>
    public bool IsStuck
    {
        get { lock (_gate) return _inFlight is { State: Abandoned }; }
    }

    /// <summary>Reads that returned a Timeout error (the first of a stuck episode and every later one while stuck).</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Stuck reads that eventually returned; their results were discarded.</summary>
    public long StaleResults => Interlocked.Read(ref _staleResults);

    public ClockResult<PhcReading> Read(int samplesPerReading)
    {
        PendingRead read;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_inFlight is { } stuck)
            {
                Interlocked.Increment(ref _timeouts);
                return StillStuck(stuck);
            }
            read = new PendingRead(samplesPerReading, _time.GetTimestamp());
            _inFlight = read;
        }

        // The timer exists before the worker can start the read, so a fake TimeProvider advanced after the inner
        // read began always fires it.
        var timeout = _answered ? _readTimeout : _firstReadTimeout;
        using (_time.CreateTimer(static state => ((PendingRead)state!).Signal.Set(), read, timeout, Timeout.InfiniteTimeSpan))
        {
            _workAvailable.Release();
            read.Signal.Wait();
        }

        if (Interlocked.CompareExchange(ref read.State, Abandoned, Waiting) == Completed)
        {
            _answered = true;
            return read.Result;
        }
        Interlocked.Increment(ref _timeouts);
        return new ClockError(ClockErrorKind.Timeout, "READ_TIMEOUT",
            $"{_inner.Info.Path}: no answer from the clock within {timeout.TotalMilliseconds:0.###} ms (the read is stuck in the driver)");
    }

    private ClockError StillStuck(PendingRead stuck) =>
        new(ClockErrorKind.Timeout, "READ_TIMEOUT",
            $"{_inner.Info.Path}: the read started {_time.GetElapsedTime(stuck.StartedTimestamp).TotalSeconds:0.###} s ago is still stuck in the driver; not reading again until it returns");

    private void RunWorker()
    {
        while (true)
        {
            _workAvailable.Wait();
            PendingRead? read;
            lock (_gate)
            {
                if (_disposed) break;
                read = _inFlight;
            }
            if (read is null) continue;

            ClockResult<PhcReading> result;
            try { result = _inner.Read(read.SamplesPerReading); }
            catch (Exception e) { result = new ClockError(ClockErrorKind.Other, "EXCEPTION", $"{_inner.Info.Path}: read failed: {e.Message}"); }

            read.Result = result;
            bool stop;
            lock (_gate)
            {
                _inFlight = null;
                if (Interlocked.CompareExchange(ref read.State, Completed, Waiting) == Abandoned)
                    Interlocked.Increment(ref _staleResults);
                stop = _disposed;
            }
            read.Signal.Set();
            if (stop) break;
        }
        _inner.Dispose();
    }

    /// <summary>
    /// Stops the worker. When no read is running the worker disposes the inner clock and ends before this returns;
    /// when a read is stuck this returns at once and the worker (a background thread, which never holds up process
    /// exit) disposes the inner clock if that read ever returns.
    /// </summary>
    public void Dispose()
    {
        bool idle;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            idle = _inFlight is null;
        }
        _workAvailable.Release();
        if (idle && Thread.CurrentThread != _worker)
            _worker.Join();
    }

    private sealed class PendingRead(int samplesPerReading, long startedTimestamp)
    {
        public int State = Waiting;
        public int SamplesPerReading { get; } = samplesPerReading;
        public long StartedTimestamp { get; } = startedTimestamp;
        public ManualResetEventSlim Signal { get; } = new(false);
        public ClockResult<PhcReading> Result { get; set; }
    }
}
