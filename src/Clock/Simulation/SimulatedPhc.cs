using Sync.Clock.Abstractions;
using Sync.Filters.Samples;
using Sync.Filters.Time;

namespace Sync.Clock.Simulation;

/// <summary>
/// A simulated virtio-rtc PTP clock as the guest sees it. Extended mode: per sample the guest clock is read
/// at t, the device at t + the model's asymmetric share of the delay (through <see cref="DeviceRead"/>), the
/// guest clock again at t + delay; the next sample starts there. Precise mode: one cross-timestamp (device and
/// guest clock at the same instant, small error). Readings take simulated time: the world's instant moves.
/// While an outage is in effect reads fail with DeviceGone (ENODEV).
/// </summary>
public sealed class SimulatedPhc : IReferenceClock
{
    public const int MaxSamplesPerReading = 25;

    private readonly SimulatedWorld _world;
    private readonly SimulatedSystemClock _guest;
    private readonly PhcReadModel _model;
    private readonly ReadingMethod _mode;
    private readonly List<(long FromNs, long UntilNs)> _outages = [];
    private bool _disposed;

    public SimulatedPhc(SimulatedWorld world, SimulatedSystemClock guest, SimulatedHostClock served, PhcReadModel model,
        ReadingMethod mode, string path = "/dev/ptp-sim0")
    {
        if (mode is not (ReadingMethod.Precise or ReadingMethod.Extended))
            throw new ArgumentException("a simulated PHC reads in Precise or Extended mode", nameof(mode));
        _world = world;
        _guest = guest;
        _model = model;
        _mode = mode;
        Served = served;
        DeviceRead = served.ReadNanoseconds;
        var variant = served.Scale.Scale == TimeScale.UtcSmeared ? (int)served.Scale.Variant : 0;
        Info = new ReferenceClockInfo(path, $"Virtio PTP type {(int)served.Scale.Scale}/variant {variant}", served.Scale);
    }

    public ReferenceClockInfo Info { get; }
    public ReadingMethod? Method { get; private set; }
    public SimulatedHostClock Served { get; }
    public PhcReadModel Model => _model;

    /// <summary>
    /// How the device is read at the world's current instant: by default the served clock directly; the
    /// simulate command wires it through the virtio-rtc device and a virtqueue.
    /// </summary>
    public Func<long> DeviceRead { get; set; }

    /// <summary>The device is gone (hot unplug) from fromTrueNs for durationNs.</summary>
    public void AddOutage(long fromTrueNs, long durationNs) => _outages.Add((fromTrueNs, fromTrueNs + durationNs));

    public bool IsGoneAt(long trueNs)
    {
        foreach (var (from, until) in _outages)
            if (trueNs >= from && trueNs < until) return true;
        return false;
    }

    public ClockResult<PhcReading> Read(int samplesPerReading)
    {
        if (_disposed) return Fail(ClockErrorKind.DeviceGone, "EBADF", "PHC closed");
        if (samplesPerReading is < 1 or > MaxSamplesPerReading)
            return Fail(ClockErrorKind.InvalidArgument, "EINVAL", $"n_samples {samplesPerReading} outside 1..{MaxSamplesPerReading}");
        if (IsGoneAt(_world.TrueNs)) return Gone();
        return _mode == ReadingMethod.Precise ? ReadPrecise() : ReadExtended(samplesPerReading);
    }

    private ClockResult<PhcReading> ReadPrecise()
    {
        var phcNs = DeviceRead();
        var sysNs = _guest.Now().Nanoseconds + _model.NextPreciseErrorNs();
        _world.AdvanceBy((long)_model.Settings.BaseDelayNs);
        Method = ReadingMethod.Precise;
        return ClockResult<PhcReading>.Ok(PhcReading.FromCrossTimestamp(Info.Scale, phcNs, sysNs));
    }

    private ClockResult<PhcReading> ReadExtended(int samples)
    {
        var triples = new SampleTriple[samples];
        for (var i = 0; i < samples; i++)
        {
            var startNs = _world.TrueNs;
            var timing = _model.NextSample(startNs);
            var sysBefore = _guest.Now().Nanoseconds;
            _world.AdvanceTo(startNs + timing.DeviceReadAfterNs);
            if (IsGoneAt(_world.TrueNs)) return Gone();
            var phcNs = DeviceRead();
            _world.AdvanceTo(startNs + timing.DelayNs);
            var sysAfter = _guest.Now().Nanoseconds;
            triples[i] = new SampleTriple(sysBefore, phcNs, sysAfter);
        }
        Method = ReadingMethod.Extended;
        return ClockResult<PhcReading>.Ok(new PhcReading(ReadingMethod.Extended, Info.Scale, triples));
    }

    private ClockResult<PhcReading> Gone() => Fail(ClockErrorKind.DeviceGone, "ENODEV", "device removed");

    private ClockResult<PhcReading> Fail(ClockErrorKind kind, string errno, string what) =>
        ClockResult<PhcReading>.Fail(new ClockError(kind, errno, $"PTP_SYS_OFFSET_{(_mode == ReadingMethod.Precise ? "PRECISE" : "EXTENDED")}2 on {Info.Path}: {what}"));

    public void Dispose() => _disposed = true;
}
