using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using System.Buffers.Binary;
using Sync.Filters.Time;

namespace Sync.Clock.Virtio.Rtc;

/// <summary>
/// The virtio-rtc device (virtio id 17): answers requestq messages from its configured clocks and keeps one
/// alarm per alarm-capable clock, notifying on alarmq. Every input is untrusted guest data: nothing throws,
/// nothing is written past the response size, and the used length is 0 (no room for a head), 8 (an error or
/// head-only reply) or the exact response size. Safe to call from a transport thread while the alarm timer runs.
/// The alarm poll timer exists only while an alarm is enabled (and the driver negotiated alarms): an idle device
/// costs no wake-ups, and <see cref="Dispose"/> releases the timer for good.
/// </summary>
public sealed class VirtioRtcDevice : IVirtioDevice, IPersistentVirtioDevice, IDisposable
{
    private readonly DeviceClock[] _clocks;
    private readonly byte[] _clockCapFlags;
    private readonly AlarmState?[] _alarms;
    private readonly bool _offersAlarm;
    private readonly TimeProvider _time;
    private readonly TimeSpan _renotifyInterval;
    private readonly ILogger _logger;
    private readonly TimeSpan _pollInterval;
    private ITimer? _pollTimer;
    private bool _disposed;

    private readonly Lock _gate = new();
    private readonly List<ushort> _pendingNotifications = [];
    private int _enabledAlarmCount;
    private bool _alarmNegotiated = true;
    private long _failedRequests;

    public VirtioRtcDevice(VirtioRtcDeviceOptions options, TimeProvider? timeProvider = null, ILogger<VirtioRtcDevice>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
            throw new ArgumentException("virtio-rtc device options: " + string.Join("; ", problems), nameof(options));

        _clocks = [.. options.Clocks];
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _renotifyInterval = options.AlarmRenotifyInterval;
        _clockCapFlags = new byte[_clocks.Length];
        _alarms = new AlarmState?[_clocks.Length];
        for (int i = 0; i < _clocks.Length; i++)
        {
            if (!_clocks[i].AlarmCapable)
                continue;
            _alarms[i] = new AlarmState();
            _clockCapFlags[i] = VirtioRtcConstants.ClockCapFlagAlarm;
            _offersAlarm = true;
        }
        DeviceFeatures = VirtioRtcConstants.FeatureVersion1 | (_offersAlarm ? VirtioRtcConstants.FeatureAlarm : 0);
        _pollInterval = options.AlarmPollInterval;
    }

    /// <summary>Whether the alarm poll timer currently exists (only while an alarm is armed); for tests and soak checks.</summary>
    public bool AlarmTimerRunning
    {
        get { lock (_gate) return _pollTimer is not null; }
    }

    public uint DeviceId => VirtioRtcConstants.DeviceId;
    public ulong DeviceFeatures { get; }
    public int QueueCount => 2;
    public int ClockCount => _clocks.Length;
    public IReadOnlyList<DeviceClock> Clocks => _clocks;

    /// <summary>Requests answered with EIO because a clock source failed (exceptions are logged, never thrown).</summary>
    public long FailedRequests => Interlocked.Read(ref _failedRequests);

    public event Action<int>? NotificationPending;

    /// <summary>Whether alarm notifications are waiting for an alarmq buffer.</summary>
    public bool HasPendingNotifications
    {
        get { lock (_gate) return _pendingNotifications.Count > 0; }
    }

    public void SetDriverFeatures(ulong negotiated)
    {
        lock (_gate)
        {
            _alarmNegotiated = _offersAlarm && (negotiated & VirtioRtcConstants.FeatureAlarm) != 0;
            if (!_alarmNegotiated)
                DropPendingNotifications();
            UpdatePollTimer();
        }
    }

    public int ProcessRequest(int queueIndex, ReadOnlySpan<byte> deviceReadable, Span<byte> deviceWritable)
    {
        if (queueIndex != VirtioRtcConstants.RequestQueueIndex || deviceWritable.Length < VirtioRtcConstants.ResponseHeadSize)
            return 0;
        try
        {
            if (Volatile.Read(ref _enabledAlarmCount) > 0)
                PollAlarms();
            return Handle(deviceReadable, deviceWritable);
        }
        catch (Exception ex)
        {
            long failures = Interlocked.Increment(ref _failedRequests);
            if (failures <= 10 || failures % 10_000 == 0)
                _logger.LogWarning(ex, "virtio-rtc request failed inside the device ({Failures} so far); answered EIO", failures);
            return VirtioRtcCodec.EncodeResponseHead(deviceWritable, VirtioRtcStatus.IoError);
        }
    }

    public bool TryWriteNotification(int queueIndex, Span<byte> deviceWritable, out int written)
    {
        written = 0;
        if (queueIndex != VirtioRtcConstants.AlarmQueueIndex)
            return false;
        lock (_gate)
        {
            if (_pendingNotifications.Count == 0)
                return false;
            if (deviceWritable.Length < VirtioRtcConstants.AlarmNotificationSize)
                return true; // the buffer is consumed with used length 0; the notification waits for the next one
            ushort clockId = _pendingNotifications[0];
            _pendingNotifications.RemoveAt(0);
            var alarm = _alarms[clockId]!;
            alarm.Queued = false;
            alarm.Notified = true;
            alarm.LastNotifiedTimestamp = _time.GetTimestamp();
            written = VirtioRtcCodec.EncodeAlarmNotification(deviceWritable, clockId);
            return true;
        }
    }

    /// <summary>
    /// Device reset: alarm times and enables survive (the spec keeps them so a sleeping guest cannot miss an
    /// alarm), undelivered notifications are dropped with the old queues, and an enabled alarm whose time has
    /// passed is notified again.
    /// </summary>
    public void Reset()
    {
        lock (_gate)
        {
            DropPendingNotifications();
            _alarmNegotiated = _offersAlarm;
            foreach (var alarm in _alarms)
                if (alarm is not null)
                    alarm.Notified = false;
            UpdatePollTimer();
        }
        PollAlarms();
    }

    /// <summary>Check every enabled alarm against its clock now and queue notifications for expired ones.</summary>
    public void PollAlarms()
    {
        bool queued = false;
        try
        {
            lock (_gate)
            {
                if (_enabledAlarmCount == 0 || !_alarmNegotiated)
                    return;
                for (int i = 0; i < _alarms.Length; i++)
                    if (_alarms[i] is { Enabled: true } alarm)
                        queued |= CheckExpiry((ushort)i, alarm);
            }
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "virtio-rtc alarm check failed: a clock source threw");
        }
        if (queued)
            NotificationPending?.Invoke(VirtioRtcConstants.AlarmQueueIndex);
    }

    /// <summary>Stops the alarm timer for good; the device answers no more alarms (a connection's device dies with it).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            UpdatePollTimer();
        }
    }

    /// <summary>Under the lock: the poll timer runs exactly while an alarm is enabled and negotiated, and the device lives.</summary>
    private void UpdatePollTimer()
    {
        bool wanted = !_disposed && _alarmNegotiated && _enabledAlarmCount > 0;
        if (wanted && _pollTimer is null)
            _pollTimer = _time.CreateTimer(static state => ((VirtioRtcDevice)state!).PollAlarms(), this, _pollInterval, _pollInterval);
        else if (!wanted && _pollTimer is not null)
        {
            _pollTimer.Dispose();
            _pollTimer = null;
        }
    }

    /// <inheritdoc/>
    public event Action? StateChanged;

    /// <summary>
    /// The alarms: u16 clock count, then per clock u8 flags (1 alarm-capable, 2 enabled) and u64 alarm time (ns,
    /// in the clock's scale). Undelivered notifications are not saved: an expired enabled alarm is notified again.
    /// </summary>
    public byte[] SaveState()
    {
        lock (_gate)
        {
            var bytes = new byte[2 + _alarms.Length * 9];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)_alarms.Length);
            for (int i = 0; i < _alarms.Length; i++)
            {
                if (_alarms[i] is not { } alarm)
                    continue;
                bytes[2 + i * 9] = (byte)(1 | (alarm.Enabled ? 2 : 0));
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(3 + i * 9), alarm.TimeNs);
            }
            return bytes;
        }
    }

    /// <summary>Restores alarms saved by <see cref="SaveState"/>; refused if the clocks (count or alarm capability) differ.</summary>
    public bool RestoreState(ReadOnlySpan<byte> state)
    {
        if (state.Length < 2 || BinaryPrimitives.ReadUInt16LittleEndian(state) != _alarms.Length || state.Length != 2 + _alarms.Length * 9)
            return false;
        for (int i = 0; i < _alarms.Length; i++)
            if (((state[2 + i * 9] & 1) != 0) != (_alarms[i] is not null))
                return false;
        lock (_gate)
        {
            for (int i = 0; i < _alarms.Length; i++)
            {
                if (_alarms[i] is not { } alarm)
                    continue;
                bool enabled = (state[2 + i * 9] & 2) != 0;
                if (enabled != alarm.Enabled)
                    _enabledAlarmCount += enabled ? 1 : -1;
                alarm.Enabled = enabled;
                alarm.TimeNs = BinaryPrimitives.ReadUInt64LittleEndian(state[(3 + i * 9)..]);
                alarm.Notified = false;
            }
            UpdatePollTimer();
        }
        PollAlarms();
        return true;
    }

    /// <summary>One line per clock for start-up logs: id, scale, source, alarm and cross-timestamp support.</summary>
    public IReadOnlyList<string> DescribeClocks() =>
        [.. _clocks.Select((clock, id) =>
            $"clock {id}: {clock.Source.Scale} from {clock.Source}, alarm {(clock.AlarmCapable ? "yes" : "no")}, " +
            $"cross-timestamp {(clock.CrossTimestamp is { } cross ? cross.Counter.ToString() : "none")}")];

    private int Handle(ReadOnlySpan<byte> readable, Span<byte> writable)
    {
        // The whole request is decoded into a value before anything is written, so a guest whose readable and
        // writable descriptors alias the same memory cannot change the request under the device.
        var status = VirtioRtcCodec.TryDecodeRequest(readable, out var request);
        if (status != VirtioRtcStatus.Ok)
            return Error(writable, status);
        if (writable.Length < VirtioRtcMessageSizes.Response(request.Type))
            return Error(writable, VirtioRtcStatus.InvalidArgument);
        if (request.CarriesClockId && request.ClockId >= _clocks.Length)
            return Error(writable, VirtioRtcStatus.NoDevice);

        var clock = request.CarriesClockId ? _clocks[request.ClockId] : null;
        switch (request.Type)
        {
            case VirtioRtcMessageType.Read:
                return VirtioRtcCodec.EncodeReadResponse(writable, clock!.Source.ReadNanoseconds());
            case VirtioRtcMessageType.ReadCross:
                return ReadCross(writable, clock!, request.HwCounter);
            case VirtioRtcMessageType.Cfg:
                return VirtioRtcCodec.EncodeCfgResponse(writable, (ushort)_clocks.Length);
            case VirtioRtcMessageType.ClockCap:
                var scale = clock!.Source.Scale;
                return VirtioRtcCodec.EncodeClockCapResponse(writable, scale.Scale,
                    scale.Scale == TimeScale.UtcSmeared ? scale.Variant : SmearVariant.Unspecified, _clockCapFlags[request.ClockId]);
            case VirtioRtcMessageType.CrossCap:
                bool capable = clock!.CrossTimestamp is { } cross && cross.Counter == request.HwCounter;
                return VirtioRtcCodec.EncodeCrossCapResponse(writable, capable ? VirtioRtcConstants.CrossCapFlagCrossCap : (byte)0);
            case VirtioRtcMessageType.ReadAlarm:
            case VirtioRtcMessageType.SetAlarm:
            case VirtioRtcMessageType.SetAlarmEnabled:
                return HandleAlarm(writable, request);
            default:
                return Error(writable, VirtioRtcStatus.NotSupported);
        }
    }

    private static int ReadCross(Span<byte> writable, DeviceClock clock, VirtioRtcHwCounter counter)
    {
        if (clock.CrossTimestamp is not { } cross || cross.Counter != counter)
            return Error(writable, VirtioRtcStatus.NotSupported);
        ulong before = cross.HostCounter.ReadCycles();
        long readingNs = clock.Source.ReadNanoseconds();
        ulong after = cross.HostCounter.ReadCycles();
        ulong hostCycles = before + (after - before) / 2;
        return VirtioRtcCodec.EncodeReadCrossResponse(writable, readingNs, cross.Relation.ToGuest(hostCycles));
    }

    private int HandleAlarm(Span<byte> writable, in VirtioRtcRequest request)
    {
        if (_alarms[request.ClockId] is not { } alarm)
            return Error(writable, VirtioRtcStatus.NotSupported);
        bool queued;
        lock (_gate)
        {
            if (!_alarmNegotiated)
                return Error(writable, VirtioRtcStatus.NotSupported);
            if (request.Type == VirtioRtcMessageType.ReadAlarm)
                return VirtioRtcCodec.EncodeReadAlarmResponse(writable, alarm.TimeNs,
                    alarm.Enabled ? VirtioRtcConstants.AlarmFlagEnabled : (byte)0);
            if ((request.Flags & ~VirtioRtcConstants.AlarmFlagEnabled) != 0)
                return Error(writable, VirtioRtcStatus.InvalidArgument);

            bool enable = (request.Flags & VirtioRtcConstants.AlarmFlagEnabled) != 0;
            if (request.Type == VirtioRtcMessageType.SetAlarm)
                alarm.TimeNs = request.AlarmTimeNs;
            if (enable != alarm.Enabled)
                _enabledAlarmCount += enable ? 1 : -1;
            alarm.Enabled = enable;
            UpdatePollTimer();
            alarm.Notified = false;
            if (alarm.Queued)
            {
                _pendingNotifications.Remove(request.ClockId);
                alarm.Queued = false;
            }
            queued = enable && CheckExpiry(request.ClockId, alarm);
        }
        StateChanged?.Invoke();
        if (queued)
            NotificationPending?.Invoke(VirtioRtcConstants.AlarmQueueIndex);
        return VirtioRtcCodec.EncodeResponseHead(writable, VirtioRtcStatus.Ok);
    }

    /// <summary>Under the lock: queue a notification if the alarm has expired and is due one. True if queued.</summary>
    private bool CheckExpiry(ushort clockId, AlarmState alarm)
    {
        if (alarm.Queued)
            return false;
        long readingNs = _clocks[clockId].Source.ReadNanoseconds();
        ulong now = readingNs < 0 ? 0 : (ulong)readingNs;
        if (now < alarm.TimeNs)
            return false;
        if (alarm.Notified && _time.GetElapsedTime(alarm.LastNotifiedTimestamp) < _renotifyInterval)
            return false;
        alarm.Queued = true;
        _pendingNotifications.Add(clockId);
        return true;
    }

    private void DropPendingNotifications()
    {
        foreach (ushort id in _pendingNotifications)
            _alarms[id]!.Queued = false;
        _pendingNotifications.Clear();
    }

    private static int Error(Span<byte> writable, VirtioRtcStatus status) =>
        VirtioRtcCodec.EncodeResponseHead(writable, status);

    private sealed class AlarmState
    {
        public ulong TimeNs;
        public bool Enabled;
        /// <summary>A notification is waiting in the pending list.</summary>
        public bool Queued;
        /// <summary>A notification was delivered since the alarm was last set, enabled or reset.</summary>
        public bool Notified;
        public long LastNotifiedTimestamp;
    }
}
