using Polly.CircuitBreaker;
using Sync.Clock.Abstractions;
using Sync.Filters.Samples;

namespace Sync.Daemon.Resilience;

/// <summary>
/// An <see cref="IReferenceClock"/> that survives its device: reads go through a <see cref="ClockReadPolicy{T}"/>;
/// when the device is gone the handle is closed and, at most every ReattachInterval, <c>open</c> is asked to find
/// the clock again (by name or symlink, so a new /dev/ptpN number is fine). While detached, reads fail fast with
/// DeviceGone, which the loop treats as holdover.
/// </summary>
public sealed class ResilientReferenceClock : IReferenceClock
{
    private readonly Func<ClockResult<IReferenceClock>> _open;
    private readonly ClockReadPolicyOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<double>? _randomizer;
    private IReferenceClock? _current;
    private ClockReadPolicy<PhcReading>? _policy;
    private long _lastOpenAttempt;
    private bool _triedOpen;
    private ReferenceClockInfo _info;

    public ResilientReferenceClock(ReferenceClockInfo expected, Func<ClockResult<IReferenceClock>> open, ClockReadPolicyOptions options,
        TimeProvider time, Func<double>? randomizer = null)
    {
        _info = expected;
        _open = open;
        _options = options;
        _time = time;
        _randomizer = randomizer;
    }

    public ReferenceClockInfo Info => _current?.Info ?? _info;
    public ReadingMethod? Method => _current?.Method;
    public bool IsAttached => _current is not null;

    /// <summary>How often the clock was opened again after being lost.</summary>
    public int Reattachments { get; private set; }
    public ClockReadStatus? LastStatus { get; private set; }
    public CircuitState Circuit => _policy?.Circuit ?? CircuitState.Closed;

    public ClockResult<PhcReading> Read(int samplesPerReading)
    {
        if (_current is null && !TryAttach(out var attachError)) return attachError!;

        var clock = _current!;
        var outcome = _policy!.Execute(() => clock.Read(samplesPerReading));
        LastStatus = outcome.Status;
        switch (outcome.Status)
        {
            case ClockReadStatus.Ok:
                return ClockResult<PhcReading>.Ok(outcome.Value!);
            case ClockReadStatus.DeviceGone:
                Detach();
                return outcome.Error!;
            default:
                return outcome.Error!;
        }
    }

    private bool TryAttach(out ClockError? error)
    {
        error = null;
        if (_triedOpen && _time.GetElapsedTime(_lastOpenAttempt) < _options.ReattachInterval)
        {
            LastStatus = ClockReadStatus.DeviceGone;
            error = new ClockError(ClockErrorKind.DeviceGone, "ENODEV", $"{_info.Path} is away; looking for it again every {_options.ReattachInterval.TotalSeconds:0.##} s");
            return false;
        }
        bool wasAttachedBefore = _triedOpen;
        _triedOpen = true;
        _lastOpenAttempt = _time.GetTimestamp();
        var opened = _open();
        if (!opened.IsOk)
        {
            LastStatus = ClockReadStatus.DeviceGone;
            error = opened.Error;
            return false;
        }
        _current = opened.Value;
        _info = _current.Info;
        _policy = new ClockReadPolicy<PhcReading>(_options, _time, _randomizer);
        if (wasAttachedBefore) Reattachments++;
        return true;
    }

    private void Detach()
    {
        _current?.Dispose();
        _current = null;
        _policy = null;
        _lastOpenAttempt = _time.GetTimestamp();
    }

    public void Dispose() => Detach();
}
