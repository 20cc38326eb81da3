using System.Runtime.InteropServices;
using Sync.Clock.Abstractions;
using Sync.Clock.Linux.Interop;
using Sync.Filters.Samples;

namespace Sync.Clock.Linux;

/// <summary>
/// A PTP hardware clock (/dev/ptpN) read against CLOCK_REALTIME. Opens the device read-only, asks GETCAPS2
/// (GETCAPS on old kernels), then tries the reading methods of <see cref="PtpReadMethods.InPreferenceOrder"/> and
/// keeps the first that works. A method that later says "not supported" sends it back to probing; a device that
/// is gone is closed and reopened (and probed again) by the next <see cref="Read"/>. Transient errors (EBUSY,
/// EINTR, EAGAIN, ETIMEDOUT) are retried up to <see cref="MaxAttemptsOnTransientError"/> times.
/// EXTENDED2 is sent with clockid CLOCK_REALTIME = 0, which is exactly the zeroed reserved field that kernels
/// before 6.12 require, so the same request works on old and new kernels.
/// </summary>
public sealed class LinuxPhc : IReferenceClock
{
    public const int MaxAttemptsOnTransientError = 3;
    public const int MinSamplesPerReading = 1;
    public const int MaxSamplesPerReading = PtpLimits.MaxSamples;

    private readonly IPtpIoctl _device;
    private PtpReadMethod? _method;

    public LinuxPhc(ReferenceClockInfo info) : this(info, new PtpIoctl()) { }

    public LinuxPhc(ReferenceClockInfo info, IPtpIoctl device)
    {
        Info = info;
        _device = device;
    }

    public ReferenceClockInfo Info { get; }

    public ReadingMethod? Method => _method?.ToReadingMethod();

    /// <summary>The method in use (null before the first reading and after the device was lost).</summary>
    public PtpReadMethod? PtpMethod => _method;

    /// <summary>GETCAPS(2) of the open device; null if not open or if neither request worked.</summary>
    public PtpClockCapabilities? Capabilities { get; private set; }

    public bool IsOpen => _device.IsOpen;

    /// <summary>Opens (or reopens) the device and reads its capabilities; the method is probed again.</summary>
    public ClockResult<bool> Open()
    {
        _device.Close();
        _method = null;
        Capabilities = null;
        var errno = _device.Open(Info.Path);
        if (errno != 0) return ClockErrors.FromPhc(errno, "open", Info.Path);
        var caps = ReadCapabilities(PtpRequests.GetCaps2);
        if (!caps.IsOk && caps.Error!.Kind == ClockErrorKind.NotSupported)
            caps = ReadCapabilities(PtpRequests.GetCaps);
        if (caps.IsOk) Capabilities = caps.Value;
        else if (caps.Error!.Kind == ClockErrorKind.DeviceGone)
        {
            _device.Close();
            return caps.Error;
        }
        return ClockResult<bool>.Ok(true);
    }

    public ClockResult<PhcReading> Read(int samplesPerReading)
    {
        if (ValidateSamples(samplesPerReading) is { } invalid) return invalid;
        if (!_device.IsOpen && Open() is { IsOk: false } opened) return opened.Error!;

        if (_method is { } known)
        {
            var reading = ReadRetrying(known, samplesPerReading);
            if (reading.IsOk) return reading;
            switch (reading.Error!.Kind)
            {
                case ClockErrorKind.DeviceGone:
                    Close();
                    return reading;
                case ClockErrorKind.NotSupported:
                    _method = null;
                    break;
                default:
                    return reading;
            }
        }
        return Probe(samplesPerReading);
    }

    /// <summary>One reading by exactly this method (no fallback, no memory): for diagnostics such as `virtsyncd clocks`.</summary>
    public ClockResult<PhcReading> ReadWith(PtpReadMethod method, int samplesPerReading)
    {
        if (ValidateSamples(samplesPerReading) is { } invalid) return invalid;
        if (!_device.IsOpen && Open() is { IsOk: false } opened) return opened.Error!;
        return ReadRetrying(method, samplesPerReading);
    }

    public void Close()
    {
        _device.Close();
        _method = null;
        Capabilities = null;
    }

    public void Dispose() => _device.Dispose();

    private ClockResult<PhcReading> Probe(int samples)
    {
        ClockError? worst = null;
        foreach (var method in PtpReadMethods.InPreferenceOrder)
        {
            var reading = ReadRetrying(method, samples);
            if (reading.IsOk)
            {
                _method = method;
                return reading;
            }
            var error = reading.Error!;
            // Still transient after retries: report it rather than settle for a worse method.
            if (error.Kind == ClockErrorKind.Transient) return error;
            // Anything else (EOPNOTSUPP, but also ENODEV from a cross-timestamp whose counter is not the system
            // clocksource, or EINVAL) rules out this method only: try the next one.
            if (worst is null || worst.Kind == ClockErrorKind.NotSupported) worst = error;
        }
        if (worst!.Kind == ClockErrorKind.DeviceGone) Close();
        return worst.Kind == ClockErrorKind.NotSupported
            ? new ClockError(ClockErrorKind.NotSupported, worst.ErrnoName, $"no reading method works on {Info.Path} (tried {PtpReadMethods.InPreferenceOrder.Count})")
            : worst;
    }

    private ClockResult<PhcReading> ReadRetrying(PtpReadMethod method, int samples)
    {
        ClockResult<PhcReading> reading = default;
        for (var attempt = 0; attempt < MaxAttemptsOnTransientError; attempt++)
        {
            reading = ReadOnce(method, samples);
            if (reading.IsOk || reading.Error!.Kind != ClockErrorKind.Transient) return reading;
        }
        return reading;
    }

    private ClockResult<PhcReading> ReadOnce(PtpReadMethod method, int samples) => method switch
    {
        PtpReadMethod.Precise2 => ReadPrecise(PtpRequests.SysOffsetPrecise2, method, samples),
        PtpReadMethod.Precise => ReadPrecise(PtpRequests.SysOffsetPrecise, method, samples),
        PtpReadMethod.Extended2 => ReadExtended(PtpRequests.SysOffsetExtended2, method, samples),
        PtpReadMethod.Extended => ReadExtended(PtpRequests.SysOffsetExtended, method, samples),
        PtpReadMethod.SysOffset2 => ReadBasic(PtpRequests.SysOffset2, method, samples),
        PtpReadMethod.SysOffset => ReadBasic(PtpRequests.SysOffset, method, samples),
        _ => ReadClockGettime(samples),
    };

    private ClockResult<PhcReading> ReadPrecise(uint request, PtpReadMethod method, int samples)
    {
        var triples = new SampleTriple[samples];
        for (var i = 0; i < samples; i++)
        {
            var argument = new PtpSysOffsetPrecise();
            var errno = _device.Ioctl(request, AsBytes(ref argument));
            if (errno != 0) return ClockErrors.FromPhc(errno, method.CallName(), Info.Path);
            if (!argument.Device.IsValid || !argument.SysRealtime.IsValid) return InvalidTimestamp(method);
            triples[i] = new SampleTriple(argument.SysRealtime.TotalNanoseconds, argument.Device.TotalNanoseconds, argument.SysRealtime.TotalNanoseconds);
        }
        return Ok(new PhcReading(ReadingMethod.Precise, Info.Scale, triples));
    }

    private ClockResult<PhcReading> ReadExtended(uint request, PtpReadMethod method, int samples)
    {
        var argument = new PtpSysOffsetExtended { NSamples = (uint)samples, ClockId = ClockIds.Realtime };
        var errno = _device.Ioctl(request, AsBytes(ref argument));
        if (errno != 0) return ClockErrors.FromPhc(errno, method.CallName(), Info.Path);
        var triples = new SampleTriple[samples];
        for (var i = 0; i < samples; i++)
        {
            var before = argument.Timestamps[3 * i];
            var phc = argument.Timestamps[3 * i + 1];
            var after = argument.Timestamps[3 * i + 2];
            if (!before.IsValid || !phc.IsValid || !after.IsValid) return InvalidTimestamp(method);
            triples[i] = new SampleTriple(before.TotalNanoseconds, phc.TotalNanoseconds, after.TotalNanoseconds);
        }
        return Ok(new PhcReading(ReadingMethod.Extended, Info.Scale, triples));
    }

    private ClockResult<PhcReading> ReadBasic(uint request, PtpReadMethod method, int samples)
    {
        var argument = new PtpSysOffset { NSamples = (uint)samples };
        var errno = _device.Ioctl(request, AsBytes(ref argument));
        if (errno != 0) return ClockErrors.FromPhc(errno, method.CallName(), Info.Path);
        Span<long> interleaved = stackalloc long[2 * samples + 1];
        for (var i = 0; i < interleaved.Length; i++)
        {
            var time = argument.Timestamps[i];
            if (!time.IsValid) return InvalidTimestamp(method);
            interleaved[i] = time.TotalNanoseconds;
        }
        return Ok(PhcReading.FromInterleaved(Info.Scale, interleaved));
    }

    private ClockResult<PhcReading> ReadClockGettime(int samples)
    {
        var triples = new SampleTriple[samples];
        for (var i = 0; i < samples; i++)
        {
            var errno = _device.ReadRealtime(out var before);
            if (errno != 0) return ClockErrors.FromPhc(errno, "clock_gettime(CLOCK_REALTIME)", Info.Path);
            errno = _device.ReadDeviceClock(out var phc);
            if (errno != 0) return ClockErrors.FromPhc(errno, PtpReadMethod.ClockGettime.CallName(), Info.Path);
            errno = _device.ReadRealtime(out var after);
            if (errno != 0) return ClockErrors.FromPhc(errno, "clock_gettime(CLOCK_REALTIME)", Info.Path);
            triples[i] = new SampleTriple(before, phc, after);
        }
        return Ok(new PhcReading(ReadingMethod.ClockGettime, Info.Scale, triples));
    }

    private ClockResult<PtpClockCapabilities> ReadCapabilities(uint request)
    {
        var caps = new PtpClockCaps();
        var errno = _device.Ioctl(request, AsBytes(ref caps));
        if (errno != 0) return ClockErrors.FromPhc(errno, PtpRequests.Name(request), Info.Path);
        return ClockResult<PtpClockCapabilities>.Ok(new PtpClockCapabilities(
            PtpRequests.Name(request), caps.MaxAdjPpb, caps.NAlarm, caps.NExtTs, caps.NPerOut, caps.Pps != 0, caps.NPins,
            caps.CrossTimestamping != 0, caps.AdjustPhase != 0, caps.MaxPhaseAdj));
    }

    private ClockError InvalidTimestamp(PtpReadMethod method) =>
        new(ClockErrorKind.Other, "EIO", $"{method.CallName()} on {Info.Path}: the kernel returned a timestamp with nanoseconds out of range");

    private static ClockResult<PhcReading> Ok(PhcReading reading) => ClockResult<PhcReading>.Ok(reading);

    private static ClockError? ValidateSamples(int samples) =>
        samples is < MinSamplesPerReading or > MaxSamplesPerReading
            ? ClockErrors.InvalidArgument($"samples per reading must be {MinSamplesPerReading}..{MaxSamplesPerReading}, got {samples}")
            : null;

    private static Span<byte> AsBytes<T>(ref T value) where T : unmanaged =>
        MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref value, 1));
}
