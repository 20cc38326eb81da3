using Sync.Clock.Abstractions;
using Sync.Clock.Virtio.Rtc;
using Sync.Filters.Time;

namespace Sync.Clock.Tests.Virtio;

/// <summary>A clock source whose reading the test sets (and steps) directly.</summary>
internal sealed class ManualClockSource(ClockScale scale, long startNs = 0) : IHostClockSource
{
    private long _nowNs = startNs;
    public ClockScale Scale { get; } = scale;
    public long NowNs { get => Interlocked.Read(ref _nowNs); set => Interlocked.Exchange(ref _nowNs, value); }
    public long ReadNanoseconds() => NowNs;
}

/// <summary>A clock source that follows a TimeProvider (e.g. FakeTimeProvider) plus a step the test can add.</summary>
internal sealed class ProviderClockSource(TimeProvider time, ClockScale scale) : IHostClockSource
{
    private long _stepNs;
    public ClockScale Scale { get; } = scale;
    public void Step(long ns) => Interlocked.Add(ref _stepNs, ns);
    public long ReadNanoseconds() => time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000L + Interlocked.Read(ref _stepNs);
}

/// <summary>A host counter that advances by a fixed step per read.</summary>
internal sealed class SteppingCounter(VirtioRtcHwCounter counter, ulong start, ulong stepPerRead) : IHardwareCounterReader
{
    private ulong _next = start;
    public VirtioRtcHwCounter Counter { get; } = counter;
    public ulong ReadCycles() { ulong value = _next; _next += stepPerRead; return value; }
}

internal sealed class ThrowingClockSource : IHostClockSource
{
    public ClockScale Scale => ClockScale.Utc;
    public long ReadNanoseconds() => throw new IOException("clock gone");
}
